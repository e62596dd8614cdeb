import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FaultServer, type FaultSpec, faultModel, type ReplyScript } from '../lib/testing/index.js';
import { anthropicDeltas, type Frame, openaiToolDeltas, type SseResult, streamWire } from './helpers/sse.js';

// Two calls, three argument deltas each: chunks 0-2 are call 0, chunks 3-5 call 1.
const pair: ReplyScript = {
  toolCalls: [
    { id: 'call_0', name: 'get_weather', input: { city: 'Paris' } },
    { id: 'call_1', name: 'get_time', input: { zone: 'CET' } },
  ],
  argChunks: 3,
};
// Anthropic: three thinking deltas, one signature delta (chunks 0-3), then call 0's arguments (4-6).
const thoughtful: ReplyScript = {
  reasoning: { text: 'one two three', signature: 'sig' },
  toolCalls: [{ id: 'call_0', name: 'get_weather', input: { city: 'Paris' } }],
};

type Provider = 'openai' | 'anthropic';
const PROVIDERS: Provider[] = ['openai', 'anthropic'];

let server: FaultServer;

beforeAll(async () => {
  server = await FaultServer.start({ replies: { pair, thoughtful } });
});

afterAll(() => server.close());

beforeEach(() => server.resetHits());

function model(provider: Provider, spec: FaultSpec): string {
  return faultModel(provider === 'openai' ? 'gpt-4o' : 'claude-haiku-4-5', spec);
}

function play(provider: Provider, spec: FaultSpec): Promise<SseResult> {
  return streamWire(server, provider, { model: model(provider, { reply: 'pair', ...spec }) });
}

/** The argument deltas received, as `<call index>:<piece>`, whatever the wire format. */
function argDeltas(provider: Provider, frames: Frame[]): string[] {
  if (provider === 'openai') return openaiToolDeltas(frames).map((d) => `${d.index}:${d.function.arguments}`);
  return anthropicDeltas(frames)
    .filter((d) => d.delta.type === 'input_json_delta')
    .map((d) => `${d.index}:${d.delta.partial_json}`);
}

function finished(provider: Provider, raw: string): boolean {
  return provider === 'openai' ? raw.includes('"finish_reason":"tool_calls"') : raw.includes('message_stop');
}

/** Anthropic `content_block_stop` indexes received. */
function stops(frames: Frame[]): number[] {
  return frames
    .filter((f) => f.event === 'content_block_stop')
    .map((f) => (JSON.parse(f.data) as { index: number }).index);
}

describe.each(PROVIDERS)('stream faults mid-tool-call (%s)', (provider) => {
  it('drop_after=0 cuts before the first chunk: no tool-call frame at all', async () => {
    const { error, frames, raw } = await play(provider, { drop_after: 0 });
    expect(error).toBeDefined();
    expect(argDeltas(provider, frames)).toEqual([]);
    expect(raw).not.toContain('get_weather');
    expect(server.hits()[0]!.outcome).toBe('drop_after:0');
  });

  it('drop_after=2 cuts mid-arguments: two deltas of call 0, its block never closed', async () => {
    const { error, frames } = await play(provider, { drop_after: 2 });
    expect(error).toBeDefined();
    const got = argDeltas(provider, frames);
    expect(got.map((d) => d[0])).toEqual(['0', '0']);
    expect(() => JSON.parse(got.map((d) => d.slice(2)).join(''))).toThrow();
    if (provider === 'anthropic') expect(stops(frames)).toEqual([]);
  });

  it('drop_after=3 cuts after call 0 is complete, before call 1 starts', async () => {
    const { error, frames, raw } = await play(provider, { drop_after: 3 });
    expect(error).toBeDefined();
    const got = argDeltas(provider, frames);
    expect(got).toHaveLength(3);
    expect(JSON.parse(got.map((d) => d.slice(2)).join(''))).toEqual({ city: 'Paris' });
    expect(raw).not.toContain('get_time');
    if (provider === 'anthropic') expect(stops(frames)).toEqual([0]);
  });

  it('end_after=4 ends cleanly one delta into call 1, without a terminal event', async () => {
    const { error, frames, raw } = await play(provider, { end_after: 4 });
    expect(error).toBeUndefined();
    expect(argDeltas(provider, frames).map((d) => d[0])).toEqual(['0', '0', '0', '1']);
    expect(finished(provider, raw)).toBe(false);
  });

  it('stall_after=2 pauses mid-arguments, then finishes every call', async () => {
    const start = Date.now();
    const { error, frames, raw } = await play(provider, { stall_after: 2, stall_ms: 60 });
    expect(Date.now() - start).toBeGreaterThanOrEqual(50);
    expect(error).toBeUndefined();
    expect(argDeltas(provider, frames)).toHaveLength(6);
    expect(finished(provider, raw)).toBe(true);
  });

  it('malformed_after=2 puts one unparseable event mid-arguments, then continues', async () => {
    const { frames, raw } = await play(provider, { malformed_after: 2 });
    const bad = frames.findIndex((f) => f.data === '{not json');
    expect(bad).toBeGreaterThan(0);
    expect(argDeltas(provider, frames.slice(0, bad))).toHaveLength(2);
    expect(argDeltas(provider, frames.slice(bad + 1))).toHaveLength(4);
    expect(finished(provider, raw)).toBe(true);
  });

  it('error_event_after=2 sends an in-stream error mid-arguments and ends', async () => {
    const { error, frames, raw } = await play(provider, { error_event_after: 2 });
    expect(error).toBeUndefined();
    expect(argDeltas(provider, frames)).toHaveLength(2);
    expect(frames.at(-1)!.data).toContain(provider === 'openai' ? 'server_error' : 'overloaded_error');
    expect(finished(provider, raw)).toBe(false);
  });
});

describe('thinking deltas count as chunks (Anthropic)', () => {
  const thoughtfulModel = (spec: FaultSpec) => model('anthropic', { reply: 'thoughtful', ...spec });
  const kinds = (frames: Frame[]) => anthropicDeltas(frames).map((d) => d.delta.type);

  it('drop_after=2 cuts mid-thinking; drop_after=4 right after the signature', async () => {
    const mid = await streamWire(server, 'anthropic', { model: thoughtfulModel({ drop_after: 2 }) });
    expect(kinds(mid.frames)).toEqual(['thinking_delta', 'thinking_delta']);
    expect(stops(mid.frames)).toEqual([]);
    const signed = await streamWire(server, 'anthropic', { model: thoughtfulModel({ drop_after: 4 }) });
    expect(kinds(signed.frames)).toEqual([...Array<string>(3).fill('thinking_delta'), 'signature_delta']);
    expect(stops(signed.frames)).toEqual([0]);
    expect(signed.raw).not.toContain('get_weather');
  });

  it('error_event_after=5 lands after the first argument delta', async () => {
    const { frames } = await streamWire(server, 'anthropic', {
      model: thoughtfulModel({ error_event_after: 5 }),
    });
    expect(kinds(frames).slice(-2)).toEqual(['signature_delta', 'input_json_delta']);
    expect(frames.at(-1)!.event).toBe('error');
  });
});

describe('the SDKs meet the faults mid-tool-call', () => {
  const openai = () => new OpenAI({ apiKey: 'test-key', baseURL: server.openaiBaseURL, maxRetries: 0 });
  const anthropic = () =>
    new Anthropic({ apiKey: 'test-key', baseURL: server.anthropicBaseURL, maxRetries: 0 });

  async function openaiStream(spec: FaultSpec): Promise<{ pieces: string[]; error: unknown }> {
    const pieces: string[] = [];
    try {
      const stream = await openai().chat.completions.create({
        model: model('openai', { reply: 'pair', ...spec }),
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      for await (const chunk of stream) {
        for (const call of chunk.choices[0]?.delta.tool_calls ?? [])
          pieces.push(call.function?.arguments ?? '');
      }
    } catch (error) {
      return { pieces, error };
    }
    return { pieces, error: undefined };
  }

  async function anthropicStream(spec: FaultSpec): Promise<{ pieces: string[]; error: unknown }> {
    const pieces: string[] = [];
    try {
      const stream = anthropic().messages.stream({
        model: model('anthropic', { reply: 'pair', ...spec }),
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
      });
      stream.on('inputJson', (partial) => pieces.push(partial));
      await stream.finalMessage();
    } catch (error) {
      return { pieces, error };
    }
    return { pieces, error: undefined };
  }

  it.each([
    ['drop_after', { drop_after: 2 }, /terminated/],
    ['error_event_after', { error_event_after: 2 }, /server had an error|Overloaded/],
  ] as const)(
    'OpenAI and Anthropic SDKs fail after two argument deltas on %s',
    async (_name, spec, message) => {
      for (const run of [openaiStream, anthropicStream]) {
        const { pieces, error } = await run(spec);
        expect(pieces).toHaveLength(2);
        expect(error).toMatchObject({ message: expect.stringMatching(message) });
      }
    },
  );

  it('the OpenAI SDK finishes a stream stalled mid-arguments with all six deltas', async () => {
    const { pieces, error } = await openaiStream({ stall_after: 3, stall_ms: 20 });
    expect(error).toBeUndefined();
    expect(pieces.join('')).toBe('{"city":"Paris"}{"zone":"CET"}');
  });
});
