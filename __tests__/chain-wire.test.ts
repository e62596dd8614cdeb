import { OverloadedError, RetryError, StreamInterruptedError, TimeoutError } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { drain } from './helpers/script.js';
import { BASE_MODEL, PROVIDERS, wireLLM } from './helpers/wire.js';

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
beforeEach(() => server.resetHits());
afterAll(() => server.close());

const fast = { initialDelay: 1, maxDelay: 20 };

describe.each(PROVIDERS)('%s chains on the wire', (provider) => {
  const base = BASE_MODEL[provider];
  const answer = `Hello from ${base}.`;
  const llm = (suffix: string, options = {}) =>
    wireLLM(server, provider, suffix ? `${base}~${suffix}` : base, options);

  describe('a persistent-503 primary with maxRetries 2 and one fallback', () => {
    const primary = `${base}~status=503`;
    const backup = `${base}-backup`;

    it('primary.withRetry(2).withFallbacks([backup]): the primary sees 3 requests, the backup 1', async () => {
      const chain = llm('status=503')
        .withRetry({ maxRetries: 2, ...fast })
        .withFallbacks([wireLLM(server, provider, backup)]);
      const reply = await chain.ask('hi');
      expect(reply.model).toBe(backup);
      expect([server.hitCount(primary), server.hitCount(backup)]).toEqual([3, 1]);
      expect(reply.attempts.map((a) => a.model)).toEqual([primary, primary, primary, backup]);
    });

    it('primary.withFallbacks([backup]).withRetry(2): the first pass succeeds on the backup, 1 + 1', async () => {
      const chain = llm('status=503')
        .withFallbacks([wireLLM(server, provider, backup)])
        .withRetry({ maxRetries: 2, ...fast });
      await chain.ask('hi');
      expect([server.hitCount(primary), server.hitCount(backup)]).toEqual([1, 1]);
    });

    it('primary.withFallbacks([failing backup]).withRetry(2): the whole chain runs 3 times, 3 + 3', async () => {
      const failing = `${backup}~status=503`;
      const chain = llm('status=503')
        .withFallbacks([wireLLM(server, provider, failing)])
        .withRetry({ maxRetries: 2, ...fast });
      await expect(chain.ask('hi')).rejects.toBeInstanceOf(RetryError);
      expect([server.hitCount(primary), server.hitCount(failing)]).toEqual([3, 3]);
    });

    it('the same counts hold for stream()', async () => {
      const chain = llm('status=503')
        .withRetry({ maxRetries: 2, ...fast })
        .withFallbacks([wireLLM(server, provider, backup)]);
      const stream = chain.stream('hi');
      const { chunks } = await drain(stream);
      expect(chunks.join('')).toBe(`Hello from ${backup}.`);
      expect([server.hitCount(primary), server.hitCount(backup)]).toEqual([3, 1]);
      expect((await stream.finalReply()).model).toBe(backup);
    });
  });

  // Each fault hits once, then the server answers: the retry must hide it completely.
  const transient = [
    'status=429;retry_after_ms=5',
    'status=500',
    'status=503',
    'status=529',
    'reset',
    'latency=400',
    'hang',
    'error_event_after=0',
    'malformed_after=0',
    'end_after=0',
    'drop_after=0',
    'first_chunk_delay=400',
  ];
  it.each(transient)('recovers invisibly from one %s, through ask and stream', async (fault) => {
    const options = { timeout: 150, firstChunkTimeout: 150 };
    for (const mode of ['ask', 'stream'] as const) {
      const model = `${base}~${fault};fail_first=1;text=${mode}`;
      const chain = wireLLM(server, provider, model, options).withRetry({ maxRetries: 2, ...fast });
      if (mode === 'ask') {
        expect((await chain.ask('hi')).text).toBe('ask');
      } else {
        const stream = chain.stream('hi');
        const { chunks, error } = await drain(stream);
        expect(error).toBeUndefined();
        expect(chunks).toEqual(['stream']);
      }
      // Stream-only faults do not touch a JSON answer: one request is enough there.
      const streamOnly = /^(error_event|malformed|end|drop)_after|^first_chunk/.test(fault);
      expect(server.hitCount(model)).toBe(mode === 'ask' && streamOnly ? 1 : 2);
    }
  });

  describe('a stream cut after text reached the caller', () => {
    it('ends with StreamInterruptedError carrying the partial text, by default', async () => {
      const chain = llm('drop_after=2;fail_first=1').withRetry({ maxRetries: 2, ...fast });
      const stream = chain.stream('hi');
      const { chunks, error } = await drain(stream);
      expect(chunks).toEqual(['Hello', ' from']);
      expect(error).toBeInstanceOf(StreamInterruptedError);
      expect((error as StreamInterruptedError).partialText).toBe('Hello from');
      await expect(stream.finalReply()).rejects.toBe(error);
    });

    it("restarts with a reset chunk with onInterrupt: 'restart', never repeating text", async () => {
      for (const fault of ['drop_after=2', 'end_after=2', 'error_event_after=1', 'malformed_after=2']) {
        const chain = llm(`${fault};fail_first=1`).withRetry({
          maxRetries: 2,
          ...fast,
          onInterrupt: 'restart',
        });
        const stream = chain.stream('hi');
        const { chunks, error } = await drain(stream);
        expect(error).toBeUndefined();
        const afterReset = chunks.slice(chunks.indexOf('<reset>') + 1).join('');
        expect(chunks.filter((c) => c === '<reset>')).toHaveLength(1);
        expect(afterReset).toBe(answer);
        expect((await stream.finalReply()).text).toBe(answer);
      }
    });

    it('turns a stall after text into an interruption, and restarts it on the fallback', async () => {
      const backup = wireLLM(server, provider, `${base}-backup`);
      const chain = llm('stall_after=1', { idleTimeout: 250 }).withFallbacks([backup], {
        onInterrupt: 'restart',
      });
      const stream = chain.stream('hi');
      const { chunks } = await drain(stream);
      expect(chunks).toEqual(['Hello', '<reset>', 'Hello', ' from', ` ${base}-backup.`]);
      const reply = await stream.finalReply();
      const cut = reply.attempts[0]!.error as StreamInterruptedError;
      expect(cut).toBeInstanceOf(StreamInterruptedError);
      expect(cut.cause).toBeInstanceOf(TimeoutError);
    });
  });

  it('honours retry-after-ms and retry-after (seconds) from the server', async () => {
    for (const [fault, expected] of [
      ['status=429;retry_after_ms=40', 40],
      ['status=503;retry_after=0.05', 50],
    ] as const) {
      const delays: number[] = [];
      const chain = llm(`${fault};fail_first=1`).withRetry({
        initialDelay: 10_000,
        onRetry: (_e, _n, ms) => void delays.push(ms),
      });
      await chain.ask('hi');
      expect(delays).toEqual([expected]);
    }
  });

  it('goes straight to the fallback when Retry-After outlasts the deadline', async () => {
    const backup = `${base}-backup`;
    const chain = llm('status=429;retry_after=30')
      .withRetry(3)
      .withFallbacks([wireLLM(server, provider, backup)]);
    const reply = await chain.ask('hi', { deadline: 5000 });
    expect(reply.model).toBe(backup);
    expect(server.hitCount(`${base}~status=429;retry_after=30`)).toBe(1);
  });

  it('rejects at once with signal.reason on abort, and sends nothing after it', async () => {
    const controller = new AbortController();
    const chain = llm('hang')
      .withRetry({ maxRetries: 3, ...fast })
      .withFallbacks([llm('')]);
    const pending = chain.ask('hi', { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 30));
    const reason = new Error('user navigated away');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await new Promise((r) => setTimeout(r, 30));
    expect(server.hitCount(`${base}~hang`)).toBe(1);
    expect(server.hitCount(base)).toBe(0);
  });

  it('bounds the whole call with deadline: an attempt in flight when it passes ends in TimeoutError', async () => {
    const slow = `${base}~status=503;latency=60`;
    const chain = wireLLM(server, provider, slow).withRetry({
      maxRetries: 50,
      initialDelay: 1,
      jitter: false,
      backoffMultiplier: 1,
    });
    const error = await chain.ask('hi', { deadline: 150 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).cause).toBeInstanceOf(OverloadedError);
    // 60 ms a request against a 150 ms deadline: two finished, the last cut short (fewer on a loaded machine).
    expect(server.hitCount(slow)).toBeGreaterThanOrEqual(2);
    expect(server.hitCount(slow)).toBeLessThanOrEqual(3);
  });

  it('never sleeps a backoff that would outlast the deadline: it gives up at once for the fallback', async () => {
    const backup = `${base}-backup`;
    const chain = llm('status=503')
      .withRetry({ initialDelay: 10_000 })
      .withFallbacks([wireLLM(server, provider, backup)]);
    const reply = await chain.ask('hi', { deadline: 2000 });
    expect(reply.attempts.map((a) => a.model)).toEqual([`${base}~status=503`, backup]);
  });
});
