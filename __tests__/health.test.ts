import { createServer } from 'node:net';
import { AnthropicLLM, CircuitBreaker, OpenAILLM, ServerError } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { ScriptLLM } from './helpers/script.js';

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('healthCheck', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await FaultServer.start();
  });
  afterAll(() => server.close());

  const openai = (fault?: string, model = 'gpt-4o-mini') =>
    new OpenAILLM(model, {
      apiKey: 'test-key',
      baseURL: server.openaiBaseURL,
      ...(fault ? { defaultHeaders: { 'x-fault': fault } } : {}),
    });
  const anthropic = (fault?: string) =>
    new AnthropicLLM('claude-haiku-4-5', {
      apiKey: 'test-key',
      baseURL: server.anthropicBaseURL,
      ...(fault ? { defaultHeaders: { 'x-fault': fault } } : {}),
    });

  it('reports every provider model of a chain as reachable, with its latency', async () => {
    const llm = openai(undefined, 'gpt-4o')
      .withRetry(2)
      .withFallbacks([openai().withRetry(1), anthropic()]);
    const report = await llm.healthCheck();
    expect(report).toEqual([
      {
        model: 'gpt-4o',
        provider: 'openai',
        llm: 'openai:gpt-4o',
        reachable: true,
        latencyMs: expect.any(Number),
      },
      {
        model: 'gpt-4o-mini',
        provider: 'openai',
        llm: 'openai:gpt-4o-mini',
        reachable: true,
        latencyMs: expect.any(Number),
      },
      {
        model: 'claude-haiku-4-5',
        provider: 'anthropic',
        llm: 'anthropic:claude-haiku-4-5',
        reachable: true,
        latencyMs: expect.any(Number),
      },
    ]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('measures the latency of the models-list call', async () => {
    const [health] = await openai('latency=80').healthCheck();
    expect(health).toMatchObject({ reachable: true });
    expect(health!.latencyMs).toBeGreaterThanOrEqual(75);
  });

  it('reports an unreachable baseURL (a closed port) with its ConnectionError', async () => {
    const port = await closedPort();
    const down = new OpenAILLM('gpt-4o', { apiKey: 'test-key', baseURL: `http://127.0.0.1:${port}/v1` });
    const report = await down.withFallbacks([anthropic()]).healthCheck();
    expect(report[0]).toMatchObject({
      model: 'gpt-4o',
      reachable: false,
      error: expect.stringMatching(/^ConnectionError/),
    });
    expect(report[1]).toMatchObject({ provider: 'anthropic', reachable: true });
  });

  it('gives up on a hung server after `timeout`, reporting a TimeoutError', async () => {
    const started = Date.now();
    const report = await openai('hang')
      .withFallbacks([anthropic('hang')])
      .healthCheck({ timeout: 150 });
    expect(Date.now() - started).toBeLessThan(2_000);
    for (const health of report) {
      expect(health).toMatchObject({
        reachable: false,
        error: expect.stringMatching(/^TimeoutError: .*150 ms/),
      });
      expect(health.latencyMs).toBeGreaterThanOrEqual(140);
    }
  });

  it('reports an error status of the models call, classified', async () => {
    const [health] = await anthropic('status=401').healthCheck();
    expect(health).toMatchObject({ reachable: false, error: expect.stringMatching(/^AuthenticationError/) });
    const [down] = await openai('status=503').healthCheck();
    expect(down!.error).toMatch(/^OverloadedError/);
  });

  it('reports the state of the breaker and the headroom of the limiter in front of each model', async () => {
    const breaker = new CircuitBreaker({ name: 'primary', failureThreshold: 1 });
    const primary = new ScriptLLM('scripted', [{ error: new ServerError('down', { status: 500 }) }]);
    await expect(primary.withCircuitBreaker(breaker).ask('Hi')).rejects.toBeInstanceOf(ServerError);
    const llm = openai()
      .withCircuitBreaker(breaker)
      .withFallbacks([anthropic()])
      .withRateLimit({ name: 'quota', requestsPerMinute: 10 });
    const [first, second] = await llm.healthCheck();
    expect(first).toMatchObject({
      reachable: true,
      breaker: 'open',
      limiter: expect.objectContaining({ name: 'quota', remainingRequests: 10 }),
    });
    expect(second).toMatchObject({ reachable: true, limiter: expect.objectContaining({ name: 'quota' }) });
    expect(second).not.toHaveProperty('breaker');
  });

  it('checks a provider reached twice once', async () => {
    const one = openai();
    const report = await one.withRetry(1).withFallbacks([one]).healthCheck();
    expect(report).toHaveLength(1);
  });

  it('reports an LLM that cannot be pinged as unreachable', async () => {
    const [health] = await new ScriptLLM('scripted', [{}]).healthCheck();
    expect(health).toMatchObject({
      model: 'scripted',
      reachable: false,
      error: expect.stringMatching(/^TypeError/),
    });
  });

  it('rejects with the abort reason when its signal aborts', async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const check = openai('hang').healthCheck({ signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    await expect(check).rejects.toBe(reason);
    const aborted = AbortSignal.abort(reason);
    await expect(openai().healthCheck({ signal: aborted })).rejects.toBe(reason);
  });

  it('validates its options', async () => {
    await expect(openai().healthCheck({ timeout: -1 })).rejects.toThrow(/`timeout`.*-1/);
    await expect(openai().healthCheck({ signal: 'x' as never })).rejects.toThrow(TypeError);
  });
});
