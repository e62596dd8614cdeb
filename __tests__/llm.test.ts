import { createEventBus, type LLMEvents, ServerError } from '../lib/index.js';
import { ScriptLLM, settle } from './helpers/script.js';

describe('ask() and stream() check their options before the call opens', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a bad signal beside a deadline throws a TypeError and leaves no timer armed', async () => {
    const llm = new ScriptLLM('m', [{}]);
    const bad = { deadline: 1_000, signal: {} as AbortSignal };
    await expect(llm.ask('hi', bad)).rejects.toThrow(/`signal` must be an AbortSignal, got an object/);
    expect(() => llm.stream('hi', bad)).toThrow(TypeError);
    expect(jest.getTimerCount()).toBe(0);
    expect(llm.calls).toBe(0);
  });

  it('null options are a clear TypeError, for ask and stream', async () => {
    const llm = new ScriptLLM('m', [{}]);
    await expect(llm.ask('hi', null as never)).rejects.toThrow('call options must be an object, got null');
    expect(() => llm.stream('hi', null as never)).toThrow('call options must be an object, got null');
  });
});

describe('the deadline runs on the monotonic clock', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a wall-clock jump neither trips it nor makes a retry give up early', async () => {
    const failing = new ServerError('down', { provider: 'openai', model: 'm', status: 500 });
    const llm = new ScriptLLM('m', [{ error: failing }, { delayMs: 100 }]).withRetry({
      maxRetries: 1,
      initialDelay: 200,
      jitter: false,
    });
    const pending = llm.ask('hi', { deadline: 1_000 });
    jest.setSystemTime(Date.now() + 3_600_000); // NTP steps the wall clock an hour forward
    const { value, error } = await settle(pending);
    expect(error).toBeUndefined();
    expect(value?.attempts.map((a) => a.outcome)).toEqual(['error', 'success']);
  });
});

describe('event listeners', () => {
  it('an async listener that rejects is reported as a callbackError, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const bus = createEventBus();
      const reported: LLMEvents['callbackError'][] = [];
      const boom = new Error('listener failed');
      bus.on('attempt', async () => {
        await Promise.resolve();
        throw boom;
      });
      bus.on('callbackError', (e) => reported.push(e));
      const reply = await new ScriptLLM('m', [{}]).withEvents(bus).ask('hi');
      await new Promise((resolve) => setImmediate(resolve));
      expect(reply.text).toBe('ok');
      expect(reported).toEqual([{ callback: 'attempt listener', error: boom }]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
