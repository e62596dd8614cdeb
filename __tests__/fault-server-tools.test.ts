import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FaultServer, faultModel, parseFaultSpec, type ReplyScript } from '../lib/testing/index.js';
import { anthropicDeltas, openaiToolDeltas, postWire, streamWire } from './helpers/sse.js';

const weather: ReplyScript = {
  text: 'Let me check.',
  toolCalls: [
    { id: 'call_a', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
    { id: 'call_b', name: 'get_time', input: { zone: 'Europe/Paris' } },
  ],
};
const tools = [
  {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  },
];
const anthropicTools = [
  {
    name: 'get_weather',
    input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
  },
];

let server: FaultServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  server = await FaultServer.start({ replies: { weather, lookup: { toolCalls: [{ name: 'lookup' }] } } });
  openai = new OpenAI({ apiKey: 'test-key', baseURL: server.openaiBaseURL, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'test-key', baseURL: server.anthropicBaseURL, maxRetries: 0 });
});

afterAll(() => server.close());

beforeEach(() => server.resetHits());

describe('tool-call replies as JSON', () => {
  it('answers OpenAI with leading text, tool_calls and finish_reason tool_calls', async () => {
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o~reply=weather',
      messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
      tools,
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('Let me check.');
    expect(choice.message.tool_calls).toEqual([
      {
        id: 'call_a',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
      },
      {
        id: 'call_b',
        type: 'function',
        function: { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' },
      },
    ]);
  });

  it('answers Anthropic with a text block, tool_use blocks and stop_reason tool_use', async () => {
    const message = await anthropic.messages.create({
      model: 'claude-haiku-4-5~reply=weather',
      max_tokens: 1000,
      messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
      tools: anthropicTools,
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
      { type: 'tool_use', id: 'call_b', name: 'get_time', input: { zone: 'Europe/Paris' } },
    ]);
  });

  it('gives calls without an id a per-request id in each provider’s style, and {} without input', async () => {
    const first = await openai.chat.completions.create({ model: 'gpt-4o~reply=lookup', messages: [] });
    const second = await openai.chat.completions.create({ model: 'gpt-4o~reply=lookup', messages: [] });
    const [a, b] = [first, second].map((c) => c.choices[0]!.message.tool_calls![0]!);
    expect(a).toMatchObject({
      id: expect.stringMatching(/^call_fault\d+_0$/),
      function: { arguments: '{}' },
    });
    expect(b!.id).not.toBe(a!.id);
    expect(first.choices[0]!.message.content).toBeNull();
    const message = await anthropic.messages.create({
      model: 'claude-haiku-4-5~reply=lookup',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content).toEqual([
      { type: 'tool_use', id: expect.stringMatching(/^toolu_fault\d+_0$/), name: 'lookup', input: {} },
    ]);
  });

  it('sends invalid argument JSON verbatim (Anthropic JSON: as the input string)', async () => {
    const reply: ReplyScript = { toolCalls: [{ id: 'c1', name: 'get_weather', inputText: '{"city": "Par' }] };
    const oa = await openai.chat.completions.create({ model: faultModel('gpt-4o', { reply }), messages: [] });
    expect(oa.choices[0]!.message.tool_calls![0]).toMatchObject({ function: { arguments: '{"city": "Par' } });
    const an = await (
      await postWire(server, 'anthropic', { model: faultModel('claude-haiku-4-5', { reply }) })
    ).json();
    expect(an).toMatchObject({ content: [{ type: 'tool_use', id: 'c1', input: '{"city": "Par' }] });
  });

  it('records each request body, tools and tool_choice included, in the hit log', async () => {
    await openai.chat.completions.create({
      model: 'gpt-4o~reply=weather',
      messages: [],
      tools,
      tool_choice: 'required',
    });
    const [hit] = server.hits('gpt-4o~reply=weather');
    expect(hit).toMatchObject({ fault: { reply: 'weather' }, outcome: 'ok' });
    expect(hit!.body).toEqual({
      model: 'gpt-4o~reply=weather',
      messages: [],
      tools,
      tool_choice: 'required',
    });
    const served = (await (await fetch(`${server.url}/_fault/hits`)).json()) as { hits: { body: unknown }[] };
    expect(served.hits[0]!.body).toEqual(hit!.body);
  });
});

describe('choosing a reply script', () => {
  it('takes an inline JSON script in the model suffix (faultModel encodes it) and in x-fault-reply', async () => {
    const reply: ReplyScript = { toolCalls: [{ id: 'x|1', name: 'pick', input: { n: 1 } }] };
    const model = faultModel('gpt-4o', { reply, fail_first: 1 });
    expect(parseFaultSpec(model.slice(model.indexOf('~') + 1))).toEqual({ reply, fail_first: 1 });
    const viaModel = await openai.chat.completions.create({ model, messages: [] });
    expect(viaModel.choices[0]!.message.tool_calls![0]!.id).toBe('x|1');
    const viaHeader = await anthropic.messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-fault-reply': JSON.stringify(reply) } },
    );
    expect(viaHeader.content).toEqual([{ type: 'tool_use', id: 'x|1', name: 'pick', input: { n: 1 } }]);
  });

  it('lets a reply= key win over the x-fault-reply header, and plays one step per hit', async () => {
    const model = 'gpt-4o~reply=lookup|ok';
    const header = { headers: { 'x-fault-reply': JSON.stringify({ text: 'from the header' }) } };
    const first = await openai.chat.completions.create({ model, messages: [] }, header);
    const second = await openai.chat.completions.create({ model, messages: [] }, header);
    const third = await openai.chat.completions.create({ model, messages: [] });
    expect(first.choices[0]!.message.tool_calls![0]).toMatchObject({ function: { name: 'lookup' } });
    expect(second.choices[0]).toMatchObject({
      message: { content: 'from the header' },
      finish_reason: 'stop',
    });
    expect(third.choices[0]!.message.content).toBe('Hello from gpt-4o.');
  });

  it('keeps the reply after fail_first runs out: 503, then the tool call', async () => {
    const model = faultModel('claude-haiku-4-5', { status: 503, fail_first: 1, reply: 'weather' });
    expect((await postWire(server, 'anthropic', { model })).status).toBe(503);
    const body = await (await postWire(server, 'anthropic', { model })).json();
    expect(body).toMatchObject({
      stop_reason: 'tool_use',
      content: [{ type: 'text' }, { name: 'get_weather' }, { name: 'get_time' }],
    });
  });

  it('answers 400 for an unknown reply name or a bad inline script, naming it', async () => {
    const unknown = await postWire(server, 'openai', { model: 'gpt-4o~reply=nope' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({
      error: { message: expect.stringMatching(/unknown reply `nope` \(registered: `weather`, `lookup`\)/) },
    });
    const bad = await postWire(
      server,
      'anthropic',
      { model: 'claude-haiku-4-5' },
      { 'x-fault-reply': '{"toolCalls":[{}]}' },
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { message: expect.stringContaining('toolCalls[0].name') },
    });
    expect(server.hits().map((hit) => hit.outcome)).toEqual(['invalid_spec', 'invalid_spec']);
  });

  it('checks scripts when they are defined, naming the field', async () => {
    expect(() => server.defineReply('bad name', {})).toThrow(/reply names must match/);
    expect(() => server.defineReply('x', { toolCalls: [{ name: 'a', input: 1, inputText: '1' }] })).toThrow(
      /`reply `x`.toolCalls\[0\]` takes `input` or `inputText`, not both/,
    );
    expect(() => server.defineReply('x', { argChunks: 0 })).toThrow(RangeError);
    expect(() => server.defineReply('x', { json: {}, text: 'a' })).toThrow(/cannot also have `text`/);
    expect(() => server.defineReply('x', { txt: 'a' } as ReplyScript)).toThrow(/unknown key `txt`/);
    expect(() => parseFaultSpec('arg_chunks=0')).toThrow(/`arg_chunks` must be at least 1/);
    await expect(FaultServer.start({ replies: { ok: { usage: { reasoningTokens: -1 } } } })).rejects.toThrow(
      /`reply `ok`.usage.reasoningTokens` must be an integer ≥ 0, got -1/,
    );
    // @ts-expect-error a tool call needs its name
    expect(() => server.defineReply('x', { toolCalls: [{ input: {} }] })).toThrow(
      /toolCalls\[0\].name` must be a string/,
    );
    server.defineReply('late', { text: 'defined later' });
    const body = await (await postWire(server, 'openai', { model: 'gpt-4o~reply=late' })).json();
    expect(body).toMatchObject({ choices: [{ message: { content: 'defined later' } }] });
  });
});

describe('tool-call replies as SSE', () => {
  it('splits OpenAI arguments into arg_chunks deltas, id and name in the first', async () => {
    const { frames, error } = await streamWire(server, 'openai', {
      model: 'gpt-4o~reply=weather;arg_chunks=4',
    });
    expect(error).toBeUndefined();
    const deltas = openaiToolDeltas(frames);
    expect(deltas.map((d) => d.index)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(deltas[0]).toMatchObject({ id: 'call_a', type: 'function', function: { name: 'get_weather' } });
    expect(deltas[1]).toEqual({ index: 0, function: { arguments: expect.any(String) } });
    expect(
      deltas
        .slice(0, 4)
        .map((d) => d.function.arguments)
        .join(''),
    ).toBe('{"city":"Paris","unit":"celsius"}');
    expect(
      deltas
        .slice(4)
        .map((d) => d.function.arguments)
        .join(''),
    ).toBe('{"zone":"Europe/Paris"}');
    expect(deltas.every((d) => d.function.arguments.length > 0)).toBe(true);
    expect(frames.at(-2)!.data).toContain('"finish_reason":"tool_calls"');
    expect(frames.at(-1)!.data).toBe('[DONE]');
  });

  it('streams Anthropic tool_use blocks as content_block_start and input_json_delta events', async () => {
    const { frames } = await streamWire(server, 'anthropic', { model: 'claude-haiku-4-5~reply=weather' });
    expect(frames.map((f) => f.event)).toEqual([
      'message_start',
      ...['content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_delta'],
      'content_block_stop',
      ...['content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta'],
      'content_block_stop',
      ...['content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta'],
      ...['content_block_stop', 'message_delta', 'message_stop'],
    ]);
    expect(JSON.parse(frames[7]!.data)).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} },
    });
    const args = anthropicDeltas(frames).filter((d) => d.index === 2);
    expect(args.map((d) => d.delta.type)).toEqual([
      'input_json_delta',
      'input_json_delta',
      'input_json_delta',
    ]);
    expect(args.map((d) => d.delta.partial_json).join('')).toBe('{"zone":"Europe/Paris"}');
    expect(JSON.parse(frames.at(-2)!.data)).toMatchObject({ delta: { stop_reason: 'tool_use' } });
  });

  it('accumulates in the OpenAI SDK’s stream helper to the same message as the JSON answer', async () => {
    const model = 'gpt-4o~reply=weather;arg_chunks=5';
    const json = await openai.chat.completions.create({ model, messages: [] });
    const stream = openai.chat.completions.stream({ model, messages: [], tools });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(final.choices[0]!.message.content).toBe(json.choices[0]!.message.content);
    expect(final.choices[0]!.message.tool_calls).toEqual(json.choices[0]!.message.tool_calls);
  });

  it('accumulates in the Anthropic SDK’s stream helper to the same content as the JSON answer', async () => {
    const params = {
      model: 'claude-haiku-4-5~reply=weather;arg_chunks=7',
      max_tokens: 1000,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const json = await anthropic.messages.create(params);
    const final = await anthropic.messages.stream(params).finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual(json.content);
  });
});
