import {
  AnthropicLLM,
  type AssistantPart,
  type LLM,
  OpenAILLM,
  type Reply,
  type StreamChunk,
} from '../lib/index.js';
import { FaultServer, type ReplyScript } from '../lib/testing/index.js';

// A streamed tool-call answer cut at every point, on both wire formats, over the real SDKs.

const weather: ReplyScript = {
  text: 'Let me check.',
  toolCalls: [
    { id: 'call_a', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
    { id: 'call_b', name: 'get_time', input: { zone: 'Europe/Paris' } },
  ],
  argChunks: 4,
};
const tools = [
  { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
];

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start({ replies: { weather } });
});
afterAll(() => server.close());

type Name = 'openai' | 'anthropic';
const llmFor = (provider: Name, fault: string): LLM =>
  provider === 'openai'
    ? new OpenAILLM(`gpt-4o~reply=weather${fault}`, { apiKey: 'k', baseURL: server.openaiBaseURL })
    : new AnthropicLLM(`claude-haiku-4-5~reply=weather${fault}`, {
        apiKey: 'k',
        baseURL: server.anthropicBaseURL,
      });

interface Run {
  /** Every chunk, in order, resets included. */
  readonly chunks: StreamChunk[];
  /** What a consumer shows: everything after the last reset. */
  readonly shown: StreamChunk[];
  readonly reply?: Reply;
  readonly error?: unknown;
}

async function run(llm: LLM): Promise<Run> {
  const stream = llm.stream('Weather and time in Paris?', { tools });
  const chunks: StreamChunk[] = [];
  let shown: StreamChunk[] = [];
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      shown = chunk.type === 'reset' ? [] : [...shown, chunk];
    }
    return { chunks, shown, reply: await stream.finalReply() };
  } catch (error) {
    await expect(stream.finalReply()).rejects.toBe(error);
    return { chunks, shown, error };
  }
}

/** The parts a consumer can rebuild from the chunks it was shown (the oracle for partialContent). */
function partsOf(chunks: readonly StreamChunk[]): AssistantPart[] {
  const parts: AssistantPart[] = [];
  for (const c of chunks) {
    const last = parts[parts.length - 1];
    if (c.type === 'text') {
      if (last?.type === 'text') parts[parts.length - 1] = { type: 'text', text: last.text + c.text };
      else parts.push({ type: 'text', text: c.text });
    } else if (c.type === 'tool-call-delta') {
      const i = parts.findIndex((p) => p.type === 'tool-call' && p.id === c.id);
      if (i < 0) parts.push({ type: 'tool-call', id: c.id, name: c.name, input: c.inputDelta });
      else
        parts[i] = {
          ...(parts[i] as AssistantPart & { type: 'tool-call' }),
          input: `${(parts[i] as { input: string }).input}${c.inputDelta}`,
        };
    } else if (c.type === 'tool-call') {
      const i = parts.findIndex((p) => p.type === 'tool-call' && p.id === c.id);
      parts[i] = { type: 'tool-call', id: c.id, name: c.name, input: c.input };
    }
  }
  return parts;
}

describe.each(['openai', 'anthropic'] as const)('%s: a tool-call stream cut at every point', (provider) => {
  let clean: Run;
  let deltas: number;
  beforeAll(async () => {
    clean = await run(llmFor(provider, ''));
    deltas = clean.chunks.filter((c) => c.type === 'text' || c.type === 'tool-call-delta').length;
  });

  it('has a clean reference run: text, then two calls in several pieces each', () => {
    expect(clean.error).toBeUndefined();
    expect(clean.reply!.toolCalls).toHaveLength(2);
    expect(deltas).toBe(3 + 4 + 4); // 'Let', ' me', ' check.' + four argument pieces per call
    expect(partsOf(clean.chunks)).toEqual(clean.reply!.content);
  });

  it('before the first chunk: retried invisibly, no reset, the same answer', async () => {
    server.resetHits();
    const result = await run(
      llmFor(provider, ';fail_first=1;drop_after=0').withRetry({ maxRetries: 1, initialDelay: 1 }),
    );
    expect(result.chunks).toEqual(clean.chunks);
    expect(result.reply!.content).toEqual(clean.reply!.content);
    expect(result.reply!.attempts.map((a) => a.outcome)).toEqual(['error', 'success']);
  });

  it('after each chunk: StreamInterruptedError with the parts shown, the text shown as partialText', async () => {
    for (let k = 1; k <= deltas; k++) {
      server.resetHits();
      const result = await run(
        llmFor(provider, `;fail_first=1;drop_after=${k}`).withRetry({ maxRetries: 1, initialDelay: 1 }),
      );
      const error = result.error as { name: string; partialText: string; partialContent: AssistantPart[] };
      expect([k, error?.name]).toEqual([k, 'StreamInterruptedError']);
      expect(result.chunks).toEqual(clean.chunks.slice(0, result.chunks.length)); // nothing repeated, nothing skipped
      expect(result.chunks.filter((c) => c.type === 'text' || c.type === 'tool-call-delta')).toHaveLength(k);
      expect(error.partialContent).toEqual(partsOf(result.chunks));
      expect(error.partialText).toBe(
        result.chunks
          .filter((c) => c.type === 'text')
          .map((c) => c.text)
          .join(''),
      );
    }
  });

  it('after each chunk, with onInterrupt restart: a reset, then the whole answer once', async () => {
    for (let k = 1; k <= deltas; k++) {
      server.resetHits(); // fail_first counts per model string: start each case afresh
      const llm = llmFor(provider, `;fail_first=1;drop_after=${k}`).withRetry({
        maxRetries: 1,
        initialDelay: 1,
        onInterrupt: 'restart',
      });
      const result = await run(llm);
      expect([k, result.error]).toEqual([k, undefined]);
      expect(result.chunks.filter((c) => c.type === 'reset')).toHaveLength(1);
      expect(result.shown).toEqual(clean.chunks); // after discarding up to the reset: no duplicated or missing delta
      expect(result.reply!.content).toEqual(clean.reply!.content);
      expect(result.reply!.toolCalls).toEqual(clean.reply!.toolCalls);
    }
  });

  it('after the last argument piece but before the end: interrupted, with every argument received', async () => {
    const result = await run(llmFor(provider, `;drop_after=${deltas}`));
    const error = result.error as { name: string; partialContent: AssistantPart[] };
    expect(error.name).toBe('StreamInterruptedError');
    const [, a, b] = error.partialContent;
    expect(a).toEqual(clean.reply!.content[1]); // call_a completed when call_b started: parsed
    // Anthropic closes call_b's block with its last piece (complete, parsed); OpenAI's call ends
    // only with the finish chunk, which never came: the arguments as received.
    const input = clean.reply!.toolCalls[1]!.input;
    expect(b).toEqual({
      ...clean.reply!.content[2],
      input: provider === 'anthropic' ? input : JSON.stringify(input),
    });
  });

  it.each([
    ['an in-stream error event', 'error_event_after=6'],
    ['a clean end without the terminal event', 'end_after=6'],
    ['a malformed event', 'malformed_after=6'],
  ])('mid-arguments, %s is an interruption too', async (_what, fault) => {
    const result = await run(llmFor(provider, `;${fault}`));
    expect((result.error as Error).name).toBe('StreamInterruptedError');
    expect(result.chunks.filter((c) => c.type === 'tool-call-delta').length).toBeGreaterThan(0);
  });

  it('mid-arguments, a stall past idleTimeout is an interruption caused by a TimeoutError', async () => {
    const llm =
      provider === 'openai'
        ? new OpenAILLM('gpt-4o~reply=weather;stall_after=6', {
            apiKey: 'k',
            baseURL: server.openaiBaseURL,
            idleTimeout: 200,
          })
        : new AnthropicLLM('claude-haiku-4-5~reply=weather;stall_after=6', {
            apiKey: 'k',
            baseURL: server.anthropicBaseURL,
            idleTimeout: 200,
          });
    const result = await run(llm);
    expect(result.error).toMatchObject({ name: 'StreamInterruptedError', cause: { name: 'TimeoutError' } });
  });
});
