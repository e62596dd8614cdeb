import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as api from '../lib/index.js';

// One app, two copies of the package: the ES module build through `import` and the CommonJS build
// through `require`, as an app gets when one of its dependencies requires what it imports. Runs the
// built dist/ in a child process (`npm test` builds first), against the fault server.
const root = join(__dirname, '..');

const program = `
import { createRequire } from 'node:module';
import * as esm from 'llm-resilience';
import { FaultServer } from 'llm-resilience/testing';
const cjs = createRequire(process.cwd() + '/')('llm-resilience');

const server = await FaultServer.start();
const out = {};
const attempt = async (name, run) => {
  try { out[name] = await run(); } catch (e) { out[name] = 'threw ' + e.name + ': ' + e.message; }
};
const openai = (lib, model) => new lib.OpenAILLM(model, { apiKey: 'k', baseURL: server.openaiBaseURL });
const anthropic = (lib, model) => new lib.AnthropicLLM(model, { apiKey: 'k', baseURL: server.anthropicBaseURL });
try {
  out.twoCopies = esm.RetryError !== cjs.RetryError && esm.LLM !== cjs.LLM;

  const cjsRetry = new cjs.RetryError([new cjs.ContentFilterError('policy')], []);
  const esmRetry = new esm.RetryError([new esm.ServerError('down')], []);
  out.errors = {
    cjsInEsm: [cjsRetry instanceof esm.RetryError, cjsRetry instanceof esm.LLMError, cjsRetry instanceof Error],
    esmInCjs: [esmRetry instanceof cjs.RetryError, esmRetry instanceof cjs.LLMError],
    otherClass: [cjsRetry instanceof esm.FallbackError, new cjs.RateLimitError('x') instanceof esm.ServerError],
    guards: [esm.isLLMError(cjsRetry), cjs.isLLMError(esmRetry), esm.isLLMError(new Error('x'))],
    ruleAcrossCopies: esm.fallsBackByDefault(cjsRetry),
  };
  out.llms = {
    instanceOf: [openai(cjs, 'm') instanceof esm.LLM, openai(esm, 'm') instanceof cjs.LLM, esm.isLLM(anthropic(cjs, 'm'))],
    notAnLLM: [esm.isLLM({ ask() {} }), ({}) instanceof esm.LLM],
  };

  await attempt('esmChainWithCjsFallback', async () => {
    const chain = openai(esm, 'gpt-4o~status=503').withFallbacks([anthropic(cjs, 'claude-haiku-4-5')]);
    const reply = await chain.ask('hi');
    return { text: reply.text, attempts: reply.attempts.map((a) => a.outcome) };
  });
  await attempt('cjsChainWithEsmFallback', async () => {
    const chain = openai(cjs, 'gpt-4o~status=503').withRetry({ maxRetries: 1, initialDelay: 1 }).withFallbacks([openai(esm, 'gpt-4o-mini')]);
    const reply = await chain.ask('hi');
    return { text: reply.text, attempts: reply.attempts.map((a) => a.outcome) };
  });
  await attempt('retryOnWithTheOtherCopysClass', async () => {
    const llm = openai(cjs, 'gpt-4o~error=content_filter;fail_first=1').withRetry({ maxRetries: 1, initialDelay: 1, retryOn: [esm.ContentFilterError] });
    return (await llm.ask('hi')).attempts.length;
  });
  await attempt('breakerFromTheOtherCopy', async () => {
    const breaker = new cjs.CircuitBreaker({ failureThreshold: 1 });
    const llm = openai(esm, 'gpt-4o~status=503').withCircuitBreaker(breaker);
    await llm.ask('hi').catch(() => {});
    return breaker.state; // 'open' only if the chain used this very breaker, not a private copy
  });
} finally {
  await server.close();
}
console.log(JSON.stringify(out));
`;

describe('identity across copies of the package (ESM + CJS in one app)', () => {
  let out: Record<string, unknown>;
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/cjs/index.js')) || !existsSync(join(root, 'dist/esm/index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
    }
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out.twoCopies).toBe(true);
  });

  it('errors are instanceof the other copy’s classes, and only of the right ones', () => {
    expect(out.errors).toEqual({
      cjsInEsm: [true, true, true],
      esmInCjs: [true, true],
      otherClass: [false, false],
      guards: [true, true, false],
      ruleAcrossCopies: false, // a RetryError of a ContentFilterError, from the other copy: no fallback
    });
  });

  it('an LLM of either copy is an LLM to the other; isLLM() says the same', () => {
    expect(out.llms).toEqual({ instanceOf: [true, true, true], notAnLLM: [false, false] });
  });

  it('a chain of one copy falls back to an LLM of the other, both ways', () => {
    expect(out.esmChainWithCjsFallback).toEqual({
      text: 'Hello from claude-haiku-4-5.',
      attempts: ['error', 'success'],
    });
    expect(out.cjsChainWithEsmFallback).toEqual({
      text: 'Hello from gpt-4o-mini.',
      attempts: ['error', 'error', 'success'],
    });
  });

  it('retryOn matches an error of one copy against a class of the other', () => {
    expect(out.retryOnWithTheOtherCopysClass).toBe(2);
  });

  it('a CircuitBreaker of one copy guards an LLM of the other', () => {
    expect(out.breakerFromTheOtherCopy).toBe('open');
  });
});

describe('brands', () => {
  it('every exported error class, LLM and shared guard carries its own brand', () => {
    const isClass = (value: unknown): value is { prototype: object; name: string } =>
      typeof value === 'function' && typeof (value as { prototype?: unknown }).prototype === 'object';
    const errorClasses = Object.values(api).filter(
      (value) => isClass(value) && value.prototype instanceof api.LLMError,
    );
    expect(errorClasses.length).toBeGreaterThanOrEqual(19);
    const unbranded = [
      api.LLM,
      api.LLMError,
      api.CircuitBreaker,
      api.RateLimiter,
      api.ResponseCache,
      api.Telemetry,
      ...errorClasses,
    ]
      .filter((cls) => !Object.prototype.hasOwnProperty.call(cls, Symbol.for('llm-resilience.brand')))
      .map((cls) => (cls as { name: string }).name);
    expect(unbranded).toEqual([]);
  });
});
