// The consumer-install test: packs this package and installs the tarball, offline, into fresh
// projects — ES modules, CommonJS, TypeScript `nodenext`, TypeScript `bundler` — each with exactly
// one SDK (openai 7, openai 6, @anthropic-ai/sdk 1.x, @anthropic-ai/sdk 0.71). Each project makes
// one real `ask` and one `stream` through `withRetry().withFallbacks()` against the fault server
// (from `llm-resilience/testing`), and checks that the provider whose SDK is absent fails with the
// error naming the package. Prints the matrix; exits 1 if any case fails.
// Usage: node scripts/consumer-test.mjs [--tarball path.tgz] [--only name-substring]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installOffline } from './offline-install.mjs';

const repo = join(import.meta.dirname, '..');
const arg = (name) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const work = mkdtempSync(join(tmpdir(), 'llmr-consumers-'));
let tarball = arg('--tarball');
if (!tarball) {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  tarball = join(work, packed.filename);
}

const SDKS = {
  'openai@7': { provider: 'openai', name: 'openai', lock: 'node_modules/openai', major: '7' },
  'openai@6': { provider: 'openai', name: 'openai', lock: 'node_modules/openai-v6', major: '6' },
  'anthropic@1': {
    provider: 'anthropic',
    name: '@anthropic-ai/sdk',
    lock: 'node_modules/@anthropic-ai/sdk',
    major: '1',
  },
  'anthropic@0': {
    provider: 'anthropic',
    name: '@anthropic-ai/sdk',
    lock: 'node_modules/anthropic-sdk-v0',
    major: '0',
  },
};

/** The program every case runs, as TypeScript or JavaScript, ES module or CommonJS. */
function program(sdk, { ts, cjs }) {
  const other = sdk.provider === 'openai' ? '@anthropic-ai/sdk' : 'openai';
  const Client = sdk.provider === 'openai' ? 'OpenAI' : 'Anthropic';
  const imports = cjs
    ? `const { OpenAILLM, AnthropicLLM } = require('llm-resilience');
const { FaultServer } = require('llm-resilience/testing');
const { ${Client} } = require('${sdk.name}');
const { VERSION } = require('${sdk.name}/version');`
    : `import { OpenAILLM, AnthropicLLM${ts ? ', type LLM, type Reply' : ''} } from 'llm-resilience';
import { FaultServer } from 'llm-resilience/testing';
import { ${Client} } from '${sdk.name}';
import { VERSION } from '${sdk.name}/version';`;
  const body = `
const server = await FaultServer.start();
try {
  const make = (model${ts ? ': string' : ''})${ts ? ': LLM' : ''} =>
    ${sdk.provider === 'openai' ? `new OpenAILLM(model, { apiKey: 'k', baseURL: server.openaiBaseURL })` : `new AnthropicLLM(model, { apiKey: 'k', baseURL: server.anthropicBaseURL })`};
  const base = '${sdk.provider === 'openai' ? 'gpt-4o' : 'claude-haiku-4-5'}';
  // The fallback runs on a client the user built (its retries are bypassed all the same).
  const client = new ${Client}({ apiKey: 'k', baseURL: ${sdk.provider === 'openai' ? 'server.openaiBaseURL' : 'server.anthropicBaseURL'} });
  const fallback = new ${sdk.provider === 'openai' ? 'OpenAILLM' : 'AnthropicLLM'}(base + '-mini', { client });
  const chain = make(base + '~status=503').withRetry({ maxRetries: 1, initialDelay: 1 }).withFallbacks([fallback]);
  const summary = (reply${ts ? ': Reply' : ''}) => ({ text: reply.text, model: reply.model, attempts: reply.attempts.map((a) => a.outcome).join(',') });
  const asked = summary(await chain.ask('hi'));
  const stream = chain.stream('hi');
  let chunks = 0;
  for await (const _chunk of stream) chunks++;
  const streamed = { ...summary(await stream.finalReply()), chunks };
  const absent = ${sdk.provider === 'openai' ? `new AnthropicLLM('claude-haiku-4-5', { apiKey: 'k', baseURL: server.anthropicBaseURL })` : `new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: server.openaiBaseURL })`};
  const missing = await absent.ask('hi').then(() => 'answered', (e${ts ? ': Error' : ''}) => e.name + ': ' + e.message);
  console.log(JSON.stringify({ sdk: VERSION, asked, streamed, missing, other: '${other}' }));
} finally {
  await server.close();
}`;
  return cjs
    ? `${imports}\n(async () => {${body}\n})().catch((e) => { console.error(e); process.exitCode = 1; });\n`
    : `${imports}\n${body}\n`;
}

const FLAVOURS = {
  esm: { type: 'module', file: 'main.mjs', run: 'main.mjs' },
  cjs: { type: 'commonjs', file: 'main.cjs', run: 'main.cjs', cjs: true },
  'ts-nodenext': {
    type: 'module',
    file: 'main.ts',
    run: 'out/main.js',
    ts: { module: 'nodenext', moduleResolution: 'nodenext' },
  },
  'ts-bundler': {
    type: 'module',
    file: 'main.ts',
    run: 'out/main.js',
    ts: { module: 'esnext', moduleResolution: 'bundler' },
  },
};

const tsc = join(repo, 'node_modules/typescript/bin/tsc');
const only = arg('--only');
const rows = [];
let failures = 0;
for (const [flavourName, flavour] of Object.entries(FLAVOURS)) {
  for (const [sdkName, sdk] of Object.entries(SDKS)) {
    const name = `${flavourName} + ${sdkName}`;
    if (only && !name.includes(only)) continue;
    const dir = join(work, `${flavourName}-${sdkName.replace('@', '')}`);
    mkdirSync(dir);
    const started = Date.now();
    let outcome;
    try {
      installOffline(dir, { packages: { [sdk.name]: sdk.lock }, tarball, type: flavour.type });
      writeFileSync(join(dir, flavour.file), program(sdk, { ts: Boolean(flavour.ts), cjs: flavour.cjs }));
      if (flavour.ts) {
        const tsconfig = {
          compilerOptions: {
            ...flavour.ts,
            target: 'es2022',
            lib: ['es2022', 'dom'],
            types: [],
            strict: true,
            skipLibCheck: false,
            outDir: 'out',
          },
          files: ['main.ts'],
        };
        writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
        const built = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
        if (built.status !== 0) throw new Error(`tsc failed:\n${built.stdout}${built.stderr}`);
      }
      const ran = spawnSync(process.execPath, [flavour.run], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      if (ran.status !== 0) throw new Error(`exit ${ran.status}:\n${ran.stderr}`);
      const seen = JSON.parse(ran.stdout.trim().split('\n').pop());
      const expectedModel = sdk.provider === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5-mini';
      const problems = [];
      if (!seen.sdk.startsWith(`${sdk.major}.`)) problems.push(`loaded ${sdk.name} ${seen.sdk}`);
      for (const [call, reply] of Object.entries({ ask: seen.asked, stream: seen.streamed })) {
        if (reply.model !== expectedModel || !reply.text.startsWith('Hello from'))
          problems.push(`${call}: ${JSON.stringify(reply)}`);
        if (reply.attempts !== 'error,error,success') problems.push(`${call} attempts: ${reply.attempts}`);
      }
      if (!(seen.streamed.chunks > 1)) problems.push(`stream gave ${seen.streamed.chunks} chunks`);
      if (!seen.missing.startsWith('ProviderError') || !seen.missing.includes(`\`${seen.other}\``)) {
        problems.push(`absent SDK: ${seen.missing}`);
      }
      outcome = problems.length === 0 ? `pass (${sdk.name} ${seen.sdk})` : `FAIL: ${problems.join('; ')}`;
    } catch (error) {
      outcome = `FAIL: ${String(error.message ?? error).trim()}`;
    }
    if (outcome.startsWith('FAIL')) failures++;
    rows.push({ name, outcome, seconds: ((Date.now() - started) / 1000).toFixed(1) });
    console.log(`${outcome.startsWith('pass') ? '✓' : '✗'} ${name}: ${outcome} (${rows.at(-1).seconds} s)`);
  }
}

console.log('\n| project | SDK installed | result |\n|---|---|---|');
for (const row of rows) {
  const [flavour, sdk] = row.name.split(' + ');
  console.log(`| ${flavour} | ${sdk} | ${row.outcome.split('\n')[0]} |`);
}
if (failures === 0) rmSync(work, { recursive: true, force: true });
else console.log(`\nkept ${work} for inspection`);
process.exit(failures === 0 ? 0 : 1);
