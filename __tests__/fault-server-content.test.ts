import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FaultServer, faultModel, type ReplyScript } from '../lib/testing/index.js';
import { anthropicDeltas, jsonFrames, postWire, streamWire } from './helpers/sse.js';

const forecast = { city: 'Paris', celsius: 21, sky: 'clear' };
const schema = {
  type: 'object',
  properties: { city: { type: 'string' }, celsius: { type: 'number' }, sky: { type: 'string' } },
  required: ['city', 'celsius', 'sky'],
  additionalProperties: false,
};
const thinking: ReplyScript = {
  reasoning: { text: 'The user greets me; a short answer fits.', signature: 'c2lnLTE=' },
  text: 'Hello there!',
};

let server: FaultServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  server = await FaultServer.start({
    replies: {
      forecast: { json: forecast, argChunks: 4 },
      broken: { jsonText: '{"city": "Paris", "celsius": 2' },
      violating: { json: { city: 'Paris', celsius: 'warm' } },
      thinking,
      redacted: {
        reasoning: { text: 'First thought.', signature: 'c2lnLTI=', redacted: 'RW5jcnlwdGVk' },
        text: 'Done.',
      },
      cached: { usage: { cachedInputTokens: 1024, cacheWriteInputTokens: 64 } },
    },
  });
  openai = new OpenAI({ apiKey: 'test-key', baseURL: server.openaiBaseURL, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'test-key', baseURL: server.anthropicBaseURL, maxRetries: 0 });
});

afterAll(() => server.close());

const user = [{ role: 'user' as const, content: 'Weather in Paris as JSON?' }];
const responseFormat = {
  type: 'json_schema' as const,
  json_schema: { name: 'forecast', schema, strict: true },
};

describe('structured-output replies', () => {
  it('answers OpenAI response_format with the JSON text, which the SDK’s parse() parses', async () => {
    const parsed = await openai.chat.completions.parse({
      model: 'gpt-4o~reply=forecast',
      messages: user,
      response_format: responseFormat,
    });
    expect(parsed.choices[0]!.message.content).toBe(JSON.stringify(forecast));
    expect(parsed.choices[0]!.message.parsed).toEqual(forecast);
    expect(parsed.choices[0]!.finish_reason).toBe('stop');
    expect(server.hits('gpt-4o~reply=forecast')[0]!.body.response_format).toEqual(responseFormat);
  });

  it('streams the JSON text in argChunks deltas on both wire formats', async () => {
    const oa = await streamWire(server, 'openai', { model: 'gpt-4o~reply=forecast' });
    const pieces = jsonFrames(oa.frames).flatMap((chunk) => {
      const delta = (chunk.choices as { delta: { content?: string; role?: string } }[] | undefined)?.[0]
        ?.delta;
      return delta?.content && delta.role === undefined ? [delta.content] : [];
    });
    expect(pieces).toHaveLength(4);
    expect(pieces.join('')).toBe(JSON.stringify(forecast));
    const an = await streamWire(server, 'anthropic', {
      model: 'claude-haiku-4-5~reply=forecast;arg_chunks=6',
    });
    const texts = anthropicDeltas(an.frames).map((d) => d.delta.text);
    expect(texts).toHaveLength(6);
    expect(JSON.parse(texts.join(''))).toEqual(forecast);
  });

  it('answers Anthropic output_config.format with the JSON text, which the SDK’s parse() parses', async () => {
    const message = await anthropic.messages.parse({
      model: 'claude-haiku-4-5~reply=forecast',
      max_tokens: 1000,
      messages: user,
      output_config: { format: { type: 'json_schema', schema } },
    });
    expect(message.content).toMatchObject([{ type: 'text', text: JSON.stringify(forecast) }]);
    expect(message.parsed_output).toEqual(forecast);
    expect(message.stop_reason).toBe('end_turn');
  });

  it('answers a request forcing one tool with a call of that tool carrying the JSON', async () => {
    const anTools = [{ name: 'answer', input_schema: { ...schema, type: 'object' as const } }];
    const message = await anthropic.messages.create({
      model: 'claude-haiku-4-5~reply=forecast',
      max_tokens: 1000,
      messages: user,
      tools: anTools,
      tool_choice: { type: 'tool', name: 'answer' },
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'answer', input: forecast },
    ]);
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o~reply=forecast',
      messages: user,
      tools: [{ type: 'function', function: { name: 'answer', parameters: schema } }],
      tool_choice: { type: 'function', function: { name: 'answer' } },
    });
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      {
        id: expect.any(String),
        type: 'function',
        function: { name: 'answer', arguments: JSON.stringify(forecast) },
      },
    ]);
  });

  it('sends invalid JSON verbatim (text, or a forced tool’s arguments)', async () => {
    const oa = await openai.chat.completions.create({ model: 'gpt-4o~reply=broken', messages: user });
    expect(oa.choices[0]!.message.content).toBe('{"city": "Paris", "celsius": 2');
    await expect(
      anthropic.messages.parse({
        model: 'claude-haiku-4-5~reply=broken',
        max_tokens: 1000,
        messages: user,
        output_config: { format: { type: 'json_schema', schema } },
      }),
    ).rejects.toThrow(/JSON/);
    const forced = await (
      await postWire(server, 'openai', {
        model: 'gpt-4o~reply=broken',
        tool_choice: { type: 'function', function: { name: 'answer' } },
      })
    ).json();
    expect(forced).toMatchObject({
      choices: [{ message: { tool_calls: [{ function: { arguments: '{"city": "Paris", "celsius": 2' } }] } }],
    });
  });

  it('sends a schema-violating answer as it is: the server never validates against the request schema', async () => {
    const parsed = await openai.chat.completions.parse({
      model: 'gpt-4o~reply=violating',
      messages: user,
      response_format: responseFormat,
    });
    expect(parsed.choices[0]!.message.parsed).toEqual({ city: 'Paris', celsius: 'warm' });
  });
});

describe('thinking replies', () => {
  it('answers Anthropic with a thinking block (its signature) before the text, and thinking_tokens', async () => {
    const message = await anthropic.messages.create({
      model: 'claude-haiku-4-5~reply=thinking',
      max_tokens: 1000,
      messages: user,
      thinking: { type: 'enabled', budget_tokens: 512 },
    });
    expect(message.content).toEqual([
      { type: 'thinking', thinking: thinking.reasoning!.text, signature: 'c2lnLTE=' },
      { type: 'text', text: 'Hello there!' },
    ]);
    // 8 thinking words + 1 signature + 2 text pieces
    expect(message.usage).toMatchObject({ output_tokens: 11, output_tokens_details: { thinking_tokens: 8 } });
  });

  it('streams thinking_delta pieces, then one signature_delta, then the text block', async () => {
    const { frames } = await streamWire(server, 'anthropic', { model: 'claude-haiku-4-5~reply=thinking' });
    expect(JSON.parse(frames[1]!.data)).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'thinking', thinking: '', signature: '' },
    });
    const deltas = anthropicDeltas(frames);
    expect(deltas.map((d) => `${d.index}:${d.delta.type}`)).toEqual([
      ...Array<string>(8).fill('0:thinking_delta'),
      '0:signature_delta',
      '1:text_delta',
      '1:text_delta',
    ]);
    expect(
      deltas
        .slice(0, 8)
        .map((d) => d.delta.thinking)
        .join(''),
    ).toBe(thinking.reasoning!.text);
    expect(deltas[8]!.delta.signature).toBe('c2lnLTE=');
    const params = { model: 'claude-haiku-4-5~reply=thinking', max_tokens: 1000, messages: user };
    const final = await anthropic.messages.stream(params).finalMessage();
    expect(final.content).toEqual((await anthropic.messages.create(params)).content);
  });

  it('sends reasoning.redacted as a redacted_thinking block after the thinking: whole in JSON, whole in its start in SSE', async () => {
    const params = { model: 'claude-haiku-4-5~reply=redacted', max_tokens: 1000, messages: user };
    const message = await anthropic.messages.create(params);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'First thought.', signature: 'c2lnLTI=' },
      { type: 'redacted_thinking', data: 'RW5jcnlwdGVk' },
      { type: 'text', text: 'Done.' },
    ]);
    const { frames } = await streamWire(server, 'anthropic', { model: params.model });
    const starts = frames
      .filter((f) => f.event === 'content_block_start')
      .map((f) => (JSON.parse(f.data) as { content_block: unknown }).content_block);
    expect(starts[1]).toEqual({ type: 'redacted_thinking', data: 'RW5jcnlwdGVk' });
    // No delta event for the redacted block (index 1): it arrives whole.
    expect(anthropicDeltas(frames).map((d) => d.index)).not.toContain(1);
    const final = await anthropic.messages.stream(params).finalMessage();
    expect(final.content).toEqual(message.content);
  });

  it('reports OpenAI reasoning only as completion_tokens_details.reasoning_tokens, in JSON and SSE', async () => {
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o~reply=thinking',
      messages: user,
    });
    expect(completion.choices[0]!.message.content).toBe('Hello there!');
    expect(completion.usage).toMatchObject({
      completion_tokens: 10,
      completion_tokens_details: { reasoning_tokens: 8 },
      prompt_tokens_details: { cached_tokens: 0 },
    });
    const { frames } = await streamWire(server, 'openai', {
      model: 'gpt-4o~reply=thinking',
      stream_options: { include_usage: true },
    });
    expect(frames.some((f) => f.data.includes('greets'))).toBe(false);
    expect(jsonFrames(frames).at(-1)).toMatchObject({
      usage: { completion_tokens_details: { reasoning_tokens: 8 } },
    });
  });
});

describe('usage details and stop reasons', () => {
  it('reports cached input tokens in each provider’s fields, JSON and SSE', async () => {
    const oa = await openai.chat.completions.create({ model: 'gpt-4o~reply=cached', messages: user });
    expect(oa.usage).toMatchObject({ prompt_tokens_details: { cached_tokens: 1024 } });
    const an = await anthropic.messages.create({
      model: 'claude-haiku-4-5~reply=cached',
      max_tokens: 99,
      messages: user,
    });
    expect(an.usage).toMatchObject({ cache_read_input_tokens: 1024, cache_creation_input_tokens: 64 });
    expect(an.usage).not.toHaveProperty('output_tokens_details');
    const final = await anthropic.messages
      .stream({ model: 'claude-haiku-4-5~reply=cached', max_tokens: 99, messages: user })
      .finalMessage();
    expect(final.usage).toMatchObject({ cache_read_input_tokens: 1024, cache_creation_input_tokens: 64 });
  });

  it('sends no usage details unless a script asks for them', async () => {
    const oa = await openai.chat.completions.create({ model: 'gpt-4o', messages: user });
    expect(oa.usage).not.toHaveProperty('prompt_tokens_details');
    expect(oa.usage).not.toHaveProperty('completion_tokens_details');
  });

  it.each([
    ['openai', 'content_filter'],
    ['anthropic', 'pause_turn'],
    ['anthropic', 'refusal'],
  ] as const)('%s: finish=%s sends that word verbatim, JSON and SSE', async (provider, word) => {
    const model = faultModel(provider === 'openai' ? 'gpt-4o' : 'claude-haiku-4-5', { finish: word });
    const body = (await (await postWire(server, provider, { model })).json()) as Record<string, unknown>;
    const stream = await streamWire(server, provider, { model });
    if (provider === 'openai') {
      expect(body).toMatchObject({ choices: [{ finish_reason: word }] });
      expect(stream.raw).toContain(`"finish_reason":"${word}"`);
    } else {
      expect(body).toMatchObject({ stop_reason: word });
      expect(stream.raw).toContain(`"stop_reason":"${word}"`);
    }
  });

  it('cuts a tool call at max_tokens: partial arguments, finish_reason length / max_tokens', async () => {
    const reply: ReplyScript = {
      toolCalls: [{ id: 't1', name: 'get_weather', input: forecast }],
      argChunks: 4,
    };
    const oa = await openai.chat.completions.create({
      model: faultModel('gpt-4o', { reply }),
      messages: user,
      max_tokens: 2,
    });
    expect(oa.choices[0]!.finish_reason).toBe('length');
    const args = oa.choices[0]!.message.tool_calls![0]!;
    expect(
      JSON.stringify(forecast).startsWith((args as { function: { arguments: string } }).function.arguments),
    ).toBe(true);
    const an = await anthropic.messages
      .stream({ model: faultModel('claude-haiku-4-5', { reply }), max_tokens: 3, messages: user })
      .finalMessage();
    expect(an.stop_reason).toBe('max_tokens');
    expect(an.content).toMatchObject([{ type: 'tool_use', id: 't1' }]);
  });
});
