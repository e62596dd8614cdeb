import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// `npm test` builds first; these check what a user installs: dist/, through the exports map.
const root = join(__dirname, '..');

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const program = (load: string) => `
${load}
(async () => {
  const server = await FaultServer.start();
  try {
    const llm = new OpenAILLM('gpt-4o~status=503;fail_first=1', { apiKey: 'k', baseURL: server.openaiBaseURL })
      .withRetry({ maxRetries: 1, initialDelay: 1 })
      .withFallbacks([new AnthropicLLM('claude-haiku-4-5', { apiKey: 'k', baseURL: server.anthropicBaseURL })]);
    const reply = await llm.ask('hi');
    console.log(JSON.stringify({ text: reply.text, attempts: reply.attempts.length, describe: llm.describe(), retryError: typeof RetryError }));
  } finally {
    await server.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
`;

const expected = {
  text: 'Hello from gpt-4o.',
  attempts: 2,
  describe: 'fallback(retry(openai:gpt-4o~status=503;fail_first=1 ×2), anthropic:claude-haiku-4-5)',
  retryError: 'function',
};

describe('the built package', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/cjs/index.js')) || !existsSync(join(root, 'dist/esm/index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
    }
  });

  it('loads with require() from CommonJS and works', () => {
    const { status, stdout, stderr } = node([
      '-e',
      program(
        "const { OpenAILLM, AnthropicLLM, RetryError } = require('llm-resilience'); const { FaultServer } = require('llm-resilience/testing');",
      ),
    ]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('loads with import from ES modules and works', () => {
    const { status, stdout, stderr } = node([
      '--input-type=module',
      '-e',
      program(
        "import { OpenAILLM, AnthropicLLM, RetryError } from 'llm-resilience'; import { FaultServer } from 'llm-resilience/testing';",
      ),
    ]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('ships type declarations for both entry points and both module systems', () => {
    for (const file of [
      'dist/cjs/index.d.ts',
      'dist/esm/index.d.ts',
      'dist/cjs/testing/index.d.ts',
      'dist/esm/testing/index.d.ts',
    ]) {
      expect(existsSync(join(root, file))).toBe(true);
    }
  });
});
