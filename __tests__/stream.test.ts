import { OverloadedError, ServerError, StreamInterruptedError, TimeoutError } from '../lib/index.js';
import { drain, fakeTimersPerTest, ScriptLLM } from './helpers/script.js';

const cut = (): ServerError => new ServerError('socket closed');
const words = ['The ', 'quick ', 'brown ', 'fox'];

fakeTimersPerTest();

/** Drains a stream while running fake time. */
async function run(
  stream: AsyncIterable<{ type: string; text: string }>,
): Promise<{ chunks: string[]; error?: unknown }> {
  const outcome = drain(stream);
  await jest.runAllTimersAsync();
  return outcome;
}

describe('stream', () => {
  it('yields text chunks and resolves finalReply() with the whole answer', async () => {
    const llm = new ScriptLLM('m', [{ chunks: words }]);
    const stream = llm.stream('hi');
    const { chunks } = await run(stream);
    expect(chunks).toEqual(words);
    const reply = await stream.finalReply();
    expect(reply).toMatchObject({
      text: 'The quick brown fox',
      model: 'm',
      provider: 'openai',
      finishReason: 'stop',
    });
    expect(reply.usage).toEqual({ inputTokens: 1, outputTokens: 4, totalTokens: 5 });
    expect(reply.attempts).toHaveLength(1);
  });

  it('drains the stream when only finalReply() is called', async () => {
    const llm = new ScriptLLM('m', [{ chunks: words }]);
    const pending = llm.stream('hi').finalReply();
    await jest.runAllTimersAsync();
    await expect(pending).resolves.toMatchObject({ text: 'The quick brown fox' });
  });

  it('can be iterated only once', async () => {
    const stream = new ScriptLLM('m', [{ chunks: words }]).stream('hi');
    await run(stream);
    await expect(drain(stream)).resolves.toMatchObject({ error: expect.any(TypeError) });
  });

  it('retries a failure before the first chunk invisibly', async () => {
    const llm = new ScriptLLM('m', [{ error: new OverloadedError('busy') }, { chunks: words }]);
    const stream = llm.withRetry({ initialDelay: 10 }).stream('hi');
    const { chunks, error } = await run(stream);
    expect(error).toBeUndefined();
    expect(chunks).toEqual(words);
    expect((await stream.finalReply()).attempts.map((a) => a.outcome)).toEqual(['error', 'success']);
  });

  it('falls back invisibly before the first chunk, and finalReply() names the model that answered', async () => {
    const a = new ScriptLLM('a', [{ error: cut() }]);
    const b = new ScriptLLM('b', [{ chunks: words }]);
    const stream = a.withRetry({ maxRetries: 1, initialDelay: 1 }).withFallbacks([b]).stream('hi');
    const { chunks } = await run(stream);
    expect(chunks).toEqual(words);
    const reply = await stream.finalReply();
    expect(reply.model).toBe('b');
    expect(reply.usage.outputTokens).toBe(4);
    expect(reply.attempts.map((x) => x.model)).toEqual(['a', 'a', 'b']);
  });

  it('ends with StreamInterruptedError carrying partialText when cut after the first chunk, and finalReply() rejects with the same error', async () => {
    const a = new ScriptLLM('a', [{ chunks: words, cutAfter: 2, error: cut() }, { chunks: words }]);
    const b = new ScriptLLM('b', [{ chunks: ['other'] }]);
    const stream = a.withRetry(3).withFallbacks([b]).stream('hi');
    const { chunks, error } = await run(stream);
    expect(chunks).toEqual(['The ', 'quick ']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).partialText).toBe('The quick ');
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(ServerError);
    await expect(stream.finalReply()).rejects.toBe(error);
    expect([a.calls, b.calls]).toEqual([1, 0]);
  });

  it("restarts after a cut with onInterrupt: 'restart', sending a reset chunk first and never repeating text", async () => {
    const llm = new ScriptLLM('m', [
      { chunks: words, cutAfter: 3, error: cut() },
      { chunks: words, cutAfter: 1, error: cut() },
      { chunks: words },
    ]);
    const stream = llm.withRetry({ initialDelay: 1, onInterrupt: 'restart' }).stream('hi');
    const { chunks, error } = await run(stream);
    expect(error).toBeUndefined();
    expect(chunks).toEqual(['The ', 'quick ', 'brown ', '<reset>', 'The ', '<reset>', ...words]);
    const shown = chunks.slice(chunks.lastIndexOf('<reset>') + 1).join('');
    const reply = await stream.finalReply();
    expect(shown).toBe(reply.text);
    expect(reply.text).toBe('The quick brown fox');
    expect(reply.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'success']);
  });

  it('counts restarts against maxRetries and ends with RetryError when they run out', async () => {
    const llm = new ScriptLLM('m', [{ chunks: words, cutAfter: 1, error: cut() }]);
    const stream = llm.withRetry({ maxRetries: 1, initialDelay: 1, onInterrupt: 'restart' }).stream('hi');
    const { chunks, error } = await run(stream);
    expect(chunks).toEqual(['The ', '<reset>', 'The ']);
    expect(error).toMatchObject({ name: 'RetryError' });
    expect(llm.calls).toBe(2);
  });

  it("restarts on the next fallback with withFallbacks' onInterrupt: 'restart'", async () => {
    const a = new ScriptLLM('a', [{ chunks: words, cutAfter: 2, error: cut() }]);
    const b = new ScriptLLM('b', [{ chunks: ['Hello'] }]);
    const stream = a.withFallbacks([b], { onInterrupt: 'restart' }).stream('hi');
    const { chunks } = await run(stream);
    expect(chunks).toEqual(['The ', 'quick ', '<reset>', 'Hello']);
    expect((await stream.finalReply()).model).toBe('b');
  });

  it('cancels the request when the consumer stops early, and finalReply() says so', async () => {
    const llm = new ScriptLLM('m', [{ chunks: words }]);
    const stream = llm.withRetry(2).stream('hi');
    for await (const chunk of stream) {
      expect(chunk.text).toBe('The ');
      break;
    }
    await expect(stream.finalReply()).rejects.toMatchObject({ name: 'AbortError' });
    expect(llm.calls).toBe(1);
  });

  it('rejects with signal.reason when aborted mid-stream, and retries nothing', async () => {
    const controller = new AbortController();
    const llm = new ScriptLLM('m', [{ chunks: words }]);
    const stream = llm.withRetry({ onInterrupt: 'restart' }).stream('hi', { signal: controller.signal });
    const seen: string[] = [];
    let caught: unknown;
    try {
      for await (const chunk of stream) {
        seen.push(chunk.text);
        if (seen.length === 2) controller.abort('stop');
      }
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe('stop');
    expect(seen).toEqual(['The ', 'quick ']);
    await expect(stream.finalReply()).rejects.toBe('stop');
    expect(llm.calls).toBe(1);
  });

  it('turns a slow first chunk into a TimeoutError that is retried like any other', async () => {
    const llm = new ScriptLLM('m', [{ chunks: words, delayMs: 5000 }, { chunks: words }]);
    const stream = llm.withRetry({ initialDelay: 1 }).stream('hi', { firstChunkTimeout: 1000 });
    const { chunks } = await run(stream);
    expect(chunks).toEqual(words);
    const [first] = (await stream.finalReply()).attempts;
    expect(first?.error).toBeInstanceOf(TimeoutError);
    expect((first?.error as Error).message).toBe('firstChunkTimeout of 1000 ms passed');
  });

  it('turns a gap longer than idleTimeout into a TimeoutError before any text', async () => {
    const llm = new ScriptLLM('m', [{ chunks: words, delayMs: 5000 }]);
    const { error } = await run(llm.stream('hi', { idleTimeout: 200 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('idleTimeout of 200 ms passed');
  });

  it('rejects bad call options at the point of use', () => {
    const llm = new ScriptLLM('m', [{ chunks: words }]);
    expect(() => llm.stream('hi', { idleTimeout: -1 })).toThrow(
      '`idleTimeout` must be a finite number of milliseconds ≥ 0, got -1',
    );
    expect(() => llm.stream([])).toThrow('`input` must be a string or a non-empty Message[]');
    expect(() => llm.ask('hi', { deadline: NaN })).rejects.toThrow(RangeError);
  });
});
