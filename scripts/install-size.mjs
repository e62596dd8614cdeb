// Install size and cold start, as a new user meets them, in one run: each stack is installed offline
// into a fresh project (scripts/offline-install.mjs), then measured with `du -sh node_modules`, the
// time of its first `import` in a fresh process, and the time of import + one first call against the
// fault server (median of 5 processes each). "before" is the package as it was on `main` before
// issue 11 (both SDKs and gpt-tokenizer loaded or installed always), packed from git.
// Usage: node scripts/install-size.mjs [--before <git-ref>] [--runs 5]   (writes nothing in the repo)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installOffline } from './offline-install.mjs';

const repo = join(import.meta.dirname, '..');
const arg = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const RUNS = Number(arg('--runs', '5'));
const BEFORE = arg('--before', '55a8944'); // main when issue 11 started
const work = mkdtempSync(join(tmpdir(), 'llmr-size-'));
const sh = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Packs this tree (after) and the `--before` commit (built in a scratch copy) into `work`. */
function pack() {
  // Both tarballs are llm-resilience-<version>.tgz: one folder each.
  mkdirSync(join(work, 'after'));
  mkdirSync(join(work, 'before'));
  const after = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', join(work, 'after')], repo))[0]
    .filename;
  const old = join(work, 'before-src');
  mkdirSync(old);
  execFileSync('sh', ['-c', `git -C "${repo}" archive ${BEFORE} | tar -x -C "${old}"`]);
  symlinkSync(join(repo, 'node_modules'), join(old, 'node_modules'));
  sh(process.execPath, ['scripts/build.mjs'], old);
  const before = JSON.parse(
    sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', join(work, 'before')], old),
  )[0].filename;
  return {
    after: join(work, 'after', after),
    before: join(work, 'before', before),
    beforeManifest: join(old, 'package.json'),
  };
}

const tarballs = pack();
const sdk = { openai: 'node_modules/openai', '@anthropic-ai/sdk': 'node_modules/@anthropic-ai/sdk' };
const ours = (url) => `import { OpenAILLM } from 'llm-resilience';
const llm = new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: '${url}/v1' })`;
const STACKS = [
  {
    name: 'llm-resilience before (main 55a8944: both SDKs required, gpt-tokenizer a dependency)',
    install: { tarball: tarballs.before, manifest: tarballs.beforeManifest, packages: sdk },
    entry: `import('llm-resilience')`,
    call: (url) => `${ours(url)};\nawait llm.withRetry(1).ask('hi');`,
  },
  {
    name: 'llm-resilience, openai only',
    install: { tarball: tarballs.after, packages: { openai: sdk.openai } },
    entry: `import('llm-resilience')`,
    call: (url) => `${ours(url)};\nawait llm.withRetry(1).ask('hi');`,
  },
  {
    name: 'llm-resilience, both SDKs',
    install: { tarball: tarballs.after, packages: sdk },
    entry: `import('llm-resilience')`,
    call: (url) => `${ours(url)};\nawait llm.withRetry(1).ask('hi');`,
  },
  {
    name: 'llm-resilience, both SDKs + gpt-tokenizer, withRateLimit({ tokensPerMinute })',
    install: { tarball: tarballs.after, packages: { ...sdk, 'gpt-tokenizer': 'node_modules/gpt-tokenizer' } },
    entry: `import('llm-resilience')`,
    call: (url) =>
      `${ours(url)};\nawait llm.withRateLimit({ tokensPerMinute: 1_000_000 }).withRetry(1).ask('hi');`,
  },
  {
    name: 'LangChain.js (@langchain/openai + @langchain/core)',
    install: {
      packages: {
        '@langchain/openai': 'node_modules/@langchain/openai',
        '@langchain/core': 'node_modules/@langchain/core',
      },
    },
    entry: `import('@langchain/openai')`,
    call: (url) => `import { ChatOpenAI } from '@langchain/openai';
const chat = new ChatOpenAI({ model: 'gpt-4o', apiKey: 'k', maxRetries: 0, configuration: { baseURL: '${url}/v1' } });
await chat.withRetry({ stopAfterAttempt: 2 }).invoke('hi');`,
  },
  {
    name: 'Vercel AI SDK (ai + @ai-sdk/openai)',
    install: {
      packages: {
        ai: 'node_modules/ai',
        '@ai-sdk/openai': 'node_modules/@ai-sdk/openai',
        zod: 'node_modules/zod',
      },
    },
    entry: `Promise.all([import('ai'), import('@ai-sdk/openai')])`,
    call: (url) => `import { generateText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
const openai = createOpenAI({ apiKey: 'k', baseURL: '${url}/v1' });
await generateText({ model: openai.chat('gpt-4o'), prompt: 'hi', maxRetries: 1 });`,
  },
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** Runs `code` (an ES module printing its own elapsed ms) `RUNS` times in fresh processes. */
function timed(dir, file, code) {
  writeFileSync(join(dir, file), code);
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const ran = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (ran.status !== 0) throw new Error(`${dir}/${file} failed:\n${ran.stderr}`);
    samples.push(Number(ran.stdout.trim().split('\n').pop()));
  }
  return median(samples);
}

// The fault server, in its own process, for the first calls.
const cli = join(repo, 'dist/cjs/testing/cli.js');
if (!existsSync(cli)) throw new Error('run `npm run build` first');
const fault = spawn(process.execPath, [cli, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => {
  fault.stdout.on('data', (d) => {
    const m = /listening on (\S+)/.exec(String(d));
    if (m) resolve(m[1]);
  });
});

const rows = [];
try {
  for (const [n, stack] of STACKS.entries()) {
    const dir = join(work, `stack-${n}`);
    mkdirSync(dir);
    installOffline(dir, { ...stack.install, type: 'module' });
    const size = sh('du', ['-sh', 'node_modules'], dir).split('\t')[0];
    const bytes = Number(sh('du', ['-sk', 'node_modules'], dir).split('\t')[0]) * 1024;
    const importMs = timed(
      dir,
      'import.mjs',
      `const t = performance.now();\nawait ${stack.entry};\nconsole.log((performance.now() - t).toFixed(1));\n`,
    );
    // The call's own imports are in first-call.mjs, so they count in its time.
    writeFileSync(join(dir, 'first-call.mjs'), `${stack.call(url)}\n`);
    const callMs = timed(
      dir,
      'call.mjs',
      `const t = performance.now();\nawait import('./first-call.mjs');\nconsole.log((performance.now() - t).toFixed(1));\n`,
    );
    rows.push({ name: stack.name, size, mb: (bytes / 1e6).toFixed(1), importMs, callMs });
    console.error(`measured: ${stack.name}`);
  }
} finally {
  fault.kill('SIGTERM');
}

console.log(
  `\nNode ${process.version}, ${RUNS} fresh processes per figure (median), loopback fault server at ${url}\n`,
);
console.log('| stack | `du -sh node_modules` | cold import (ms) | import + first call (ms) |');
console.log('|---|--:|--:|--:|');
for (const r of rows) console.log(`| ${r.name} | ${r.size} (${r.mb} MB) | ${r.importMs} | ${r.callMs} |`);
rmSync(work, { recursive: true, force: true });
