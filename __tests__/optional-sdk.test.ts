import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The built package (`npm test` builds first) in a project where one SDK is not installed: the
// main entry imports, the installed provider answers, the other fails with a ProviderError naming
// its package. (scripts/consumer-test.mjs does the same from the packed tarball, in CI.)
const root = join(__dirname, '..');

/** A project whose node_modules holds this package and every dev dependency but `without`. */
function projectWithout(without: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'llmr-optional-'));
  const modules = join(dir, 'node_modules');
  const self = join(modules, 'llm-resilience');
  mkdirSync(self, { recursive: true });
  // Copied, not linked: a link would resolve back into this repository, where both SDKs are.
  cpSync(join(root, 'package.json'), join(self, 'package.json'));
  cpSync(join(root, 'dist'), join(self, 'dist'), { recursive: true });
  const [scope, name] = without.includes('/') ? without.split('/') : [undefined, without];
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === 'llm-resilience' || entry === '.bin' || entry === (scope ?? name)) continue;
    symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  }
  if (scope) {
    mkdirSync(join(modules, scope));
    for (const entry of readdirSync(join(root, 'node_modules', scope))) {
      if (entry !== name) symlinkSync(join(root, 'node_modules', scope, entry), join(modules, scope, entry));
    }
  }
  return dir;
}

const body = (installed: 'openai' | 'anthropic') => `
const server = await FaultServer.start();
try {
  const openai = new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: server.openaiBaseURL });
  const anthropic = new AnthropicLLM('claude-haiku-4-5', { apiKey: 'k', baseURL: server.anthropicBaseURL });
  const [present, absent] = ${installed === 'openai' ? '[openai, anthropic]' : '[anthropic, openai]'};
  const reply = await present.withRetry(1).ask('hi');
  const streamed = await present.stream('hi').finalReply();
  const error = await absent.ask('hi').catch((e) => e);
  const chain = await absent.withFallbacks([present]).ask('hi');
  console.log(JSON.stringify({
    reply: reply.text, streamed: streamed.text, error: { name: error.name, kind: error.kind, message: error.message },
    chain: chain.attempts.map((a) => a.provider + ':' + a.outcome).join(','),
  }));
} finally {
  await server.close();
}`;

function run(dir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('one SDK installed', () => {
  const dirs: string[] = [];
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/esm/index.js')))
      throw new Error('dist/ is missing: run `npm run build`');
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('openai only, ES module: OpenAILLM answers; AnthropicLLM names @anthropic-ai/sdk and is fallen back from', () => {
    const dir = projectWithout('@anthropic-ai/sdk');
    dirs.push(dir);
    const program = `import { OpenAILLM, AnthropicLLM } from 'llm-resilience';
import { FaultServer } from 'llm-resilience/testing';
${body('openai')}`;
    const { status, stdout, stderr } = run(dir, ['--input-type=module', '-e', program]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const seen = JSON.parse(stdout);
    expect(seen.reply).toBe('Hello from gpt-4o.');
    expect(seen.streamed).toBe('Hello from gpt-4o.');
    expect(seen.error).toMatchObject({ name: 'ProviderError', kind: 'provider_error' });
    expect(seen.error.message).toContain('npm install @anthropic-ai/sdk');
    expect(seen.chain).toBe('anthropic:error,openai:success');
  });

  it('@anthropic-ai/sdk only, CommonJS: AnthropicLLM answers; OpenAILLM names openai', () => {
    const dir = projectWithout('openai');
    dirs.push(dir);
    const program = `const { OpenAILLM, AnthropicLLM } = require('llm-resilience');
const { FaultServer } = require('llm-resilience/testing');
(async () => {${body('anthropic')}
})().catch((e) => { console.error(e); process.exitCode = 1; });`;
    const { status, stdout, stderr } = run(dir, ['-e', program]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const seen = JSON.parse(stdout);
    expect(seen.reply).toBe('Hello from claude-haiku-4-5.');
    expect(seen.error).toMatchObject({ name: 'ProviderError', kind: 'provider_error' });
    expect(seen.error.message).toContain('OpenAILLM needs the `openai` package');
    expect(seen.chain).toBe('openai:error,anthropic:success');
  });
});
