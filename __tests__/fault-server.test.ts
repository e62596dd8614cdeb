import { connect } from 'node:net';
import { type Frame, readSse } from './helpers/sse.js';
import {
  FaultServer,
  faultModel,
  parseFaultSpec,
  type FaultHit,
  type FaultSpec,
} from '../lib/testing/index.js';

let server: FaultServer;

beforeAll(async () => {
  server = await FaultServer.start();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.resetHits();
});

const messages = [{ role: 'user', content: 'hello there!' }];

function post(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function openai(model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return post('/v1/chat/completions', { model, messages, ...extra }, headers);
}

function anthropic(model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return post(
    '/v1/messages',
    { model, max_tokens: 100, messages, ...extra },
    { 'anthropic-version': '2023-06-01', ...headers },
  );
}

const json = (frame: Frame | undefined): Record<string, unknown> =>
  JSON.parse(frame!.data) as Record<string, unknown>;

/** The text deltas of an OpenAI stream. */
function openaiTexts(frames: Frame[]): string[] {
  return frames
    .filter((f) => f.data !== '[DONE]' && f.data.startsWith('{"id"'))
    .map((f) => json(f) as { choices: { delta: { content?: string; role?: string } }[] })
    .filter((c) => c.choices[0] !== undefined && c.choices[0].delta.role === undefined)
    .flatMap((c) => (c.choices[0]?.delta.content === undefined ? [] : [c.choices[0].delta.content]));
}

/** The text deltas of an Anthropic stream. */
function anthropicTexts(frames: Frame[]): string[] {
  return frames
    .filter((f) => f.event === 'content_block_delta')
    .map((f) => (json(f) as { delta: { text: string } }).delta.text);
}

async function streamOpenai(spec: FaultSpec, extra: Record<string, unknown> = {}) {
  const res = await openai(faultModel('gpt-4o', spec), { stream: true, ...extra });
  return { res, ...(await readSse(res)) };
}

async function streamAnthropic(spec: FaultSpec, extra: Record<string, unknown> = {}) {
  const res = await anthropic(faultModel('claude-sonnet-4-6', spec), { stream: true, ...extra });
  return { res, ...(await readSse(res)) };
}

describe('parseFaultSpec and faultModel', () => {
  it('parses key=value pairs, bare flags and URL-encoded values', () => {
    expect(parseFaultSpec('status=503;retry_after_ms=20;hang;text=Hi%3B%20there;should_retry=false')).toEqual(
      {
        status: 503,
        retry_after_ms: 20,
        hang: true,
        text: 'Hi; there',
        should_retry: false,
      },
    );
    expect(parseFaultSpec('')).toEqual({});
  });

  it('keeps retry_after verbatim as a string', () => {
    expect(parseFaultSpec('retry_after=Wed%2C%2021%20Oct%202015%2007%3A28%3A00%20GMT')).toEqual({
      retry_after: 'Wed, 21 Oct 2015 07:28:00 GMT',
    });
  });

  it('rejects unknown keys and bad values, naming the key', () => {
    expect(() => parseFaultSpec('stauts=503')).toThrow(/unknown fault key `stauts`/);
    expect(() => parseFaultSpec('status=abc')).toThrow(/`status` must be a non-negative integer/);
    expect(() => parseFaultSpec('status=42')).toThrow(RangeError);
    expect(() => parseFaultSpec('hang=maybe')).toThrow(/`hang` must be true or false/);
  });

  it('round-trips every kind of value through a model string', () => {
    const spec: FaultSpec = {
      status: 429,
      error: 'insufficient_quota',
      retry_after: 'Wed, 21 Oct 2015 07:28:00 GMT',
      should_retry: false,
      ratelimit_headers: true,
      text: 'a;b=c ~ d',
      fail_first: 2,
    };
    const model = faultModel('gpt-4o', spec);
    expect(model.startsWith('gpt-4o~status=429;error=insufficient_quota;')).toBe(true);
    expect(model).toContain(';ratelimit_headers;');
    const suffix = model.slice(model.indexOf('~') + 1);
    expect(parseFaultSpec(suffix)).toEqual(spec);
    expect(faultModel('gpt-4o', {})).toBe('gpt-4o');
    expect(faultModel('gpt-4o', { retry_after: 2 })).toBe('gpt-4o~retry_after=2');
  });
});

describe('FaultServer healthy answers', () => {
  it('answers OpenAI chat completions as JSON, echoing the model string', async () => {
    const model = 'gpt-4o~latency=0';
    const res = await openai(model);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^req_\d+$/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello from gpt-4o.', refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(typeof body.created).toBe('number');
  });

  it('streams OpenAI chunks: role chunk, word pieces, finish chunk, usage chunk, [DONE]', async () => {
    const { res, frames, error } = await streamOpenai({}, { stream_options: { include_usage: true } });
    expect(error).toBeUndefined();
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(frames.map((f) => f.event)).toEqual(frames.map(() => undefined));
    expect(frames.at(-1)?.data).toBe('[DONE]');
    const chunks = frames.slice(0, -1).map(json) as {
      object: string;
      model: string;
      choices: { delta: Record<string, unknown>; finish_reason: string | null }[];
      usage?: unknown;
    }[];
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4o')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: 'assistant', content: '' });
    expect(chunks.slice(1, 4).map((c) => c.choices[0]?.delta)).toEqual([
      { content: 'Hello' },
      { content: ' from' },
      { content: ' gpt-4o.' },
    ]);
    expect(chunks[4]?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks[5]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
    });
    expect(chunks).toHaveLength(6);
  });

  it('sends no usage chunk unless stream_options.include_usage is set', async () => {
    const { frames } = await streamOpenai({});
    expect(frames).toHaveLength(6);
    expect(frames.some((f) => f.data.includes('"choices":[]'))).toBe(false);
  });

  it('answers Anthropic messages as JSON with a request-id header', async () => {
    const res = await anthropic('claude-sonnet-4-6');
    expect(res.status).toBe(200);
    expect(res.headers.get('request-id')).toMatch(/^req_\d+$/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'Hello from claude-sonnet-4-6.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 3 },
    });
    expect(body.id).toMatch(/^msg_/);
  });

  it('streams Anthropic events in order, each data carrying its event name as type', async () => {
    const { frames, error } = await streamAnthropic({});
    expect(error).toBeUndefined();
    expect(frames.map((f) => f.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const frame of frames) expect(json(frame).type).toBe(frame.event);
    expect(json(frames[0])).toMatchObject({
      message: { content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } },
    });
    expect(json(frames[1])).toMatchObject({ index: 0, content_block: { type: 'text', text: '' } });
    expect(anthropicTexts(frames)).toEqual(['Hello', ' from', ' claude-sonnet-4-6.']);
    expect(json(frames[7])).toMatchObject({
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 3 },
    });
  });

  it('uses text= and chunks= for the reply', async () => {
    const text = await (await openai(faultModel('gpt-4o', { text: 'One; two  three' }))).json();
    expect(text).toMatchObject({ choices: [{ message: { content: 'One; two  three' } }] });
    const { frames } = await streamOpenai({ text: 'One; two  three' });
    expect(openaiTexts(frames)).toEqual(['One;', ' two', '  three']);
    const many = await streamAnthropic({ chunks: 500 }, { max_tokens: 1024 });
    const pieces = anthropicTexts(many.frames);
    expect(pieces).toHaveLength(500);
    expect(pieces.slice(0, 3)).toEqual(['w1', ' w2', ' w3']);
    expect(pieces.at(-1)).toBe(' w500');
  });

  it('stops at max_tokens with finish_reason length / stop_reason max_tokens', async () => {
    const oa = await (await openai(faultModel('gpt-4o', { chunks: 10 }), { max_tokens: 4 })).json();
    expect(oa).toMatchObject({
      choices: [{ message: { content: 'w1 w2 w3 w4' }, finish_reason: 'length' }],
      usage: { completion_tokens: 4 },
    });
    const { frames } = await streamOpenai({ chunks: 10 }, { max_completion_tokens: 2 });
    expect(openaiTexts(frames)).toEqual(['w1', ' w2']);
    expect(frames.at(-2)?.data).toContain('"finish_reason":"length"');
    const an = await (
      await anthropic(faultModel('claude-haiku-4-5', { chunks: 10 }), { max_tokens: 3 })
    ).json();
    expect(an).toMatchObject({
      content: [{ text: 'w1 w2 w3' }],
      stop_reason: 'max_tokens',
      usage: { output_tokens: 3 },
    });
  });

  it('lists models in the OpenAI shape, or the Anthropic shape with anthropic-version', async () => {
    const oa = await (await fetch(`${server.openaiBaseURL}/models`)).json();
    expect(oa).toMatchObject({
      object: 'list',
      data: [{ id: 'gpt-4o', object: 'model' }, { id: 'gpt-4o-mini' }],
    });
    const an = await (
      await fetch(`${server.url}/v1/models`, { headers: { 'anthropic-version': '2023-06-01' } })
    ).json();
    expect(an).toMatchObject({
      data: [{ type: 'model', id: 'claude-sonnet-4-6' }, { type: 'model' }],
      has_more: false,
    });
    const down = await fetch(`${server.url}/v1/models`, { headers: { 'x-fault': 'status=503' } });
    expect(down.status).toBe(503);
    expect(server.hitCount()).toBe(0);
  });
});

describe('FaultServer error faults', () => {
  it.each([
    [400, 'invalid_request_error', null, 'invalid_request_error'],
    [401, 'invalid_request_error', 'invalid_api_key', 'authentication_error'],
    [403, 'permission_error', 'permission_denied', 'permission_error'],
    [404, 'invalid_request_error', 'model_not_found', 'not_found_error'],
    [429, 'requests', 'rate_limit_exceeded', 'rate_limit_error'],
    [500, 'server_error', 'server_error', 'api_error'],
    [503, 'server_error', 'service_unavailable', 'overloaded_error'],
    [529, 'server_error', 'service_unavailable', 'overloaded_error'],
  ])('status=%i answers with provider-shaped error bodies', async (status, oaType, oaCode, anType) => {
    const oa = await openai(`gpt-4o~status=${status}`, { stream: true });
    expect(oa.status).toBe(status);
    expect(oa.headers.get('content-type')).toBe('application/json');
    expect(await oa.json()).toEqual({
      error: { message: expect.any(String), type: oaType, param: null, code: oaCode },
    });
    const an = await anthropic(`claude-sonnet-4-6~status=${status}`);
    expect(an.status).toBe(status);
    const body = await an.json();
    expect(body).toEqual({
      type: 'error',
      error: { type: anType, message: expect.any(String) },
      request_id: an.headers.get('request-id'),
    });
  });

  it('error=insufficient_quota is a 429 quota error in both formats', async () => {
    const oa = await openai('gpt-4o~error=insufficient_quota');
    expect(oa.status).toBe(429);
    expect(await oa.json()).toMatchObject({
      error: {
        type: 'insufficient_quota',
        code: 'insufficient_quota',
        message: expect.stringMatching(/exceeded your current quota/),
      },
    });
    const an = await anthropic('claude-sonnet-4-6~error=insufficient_quota');
    expect(an.status).toBe(429);
    expect(await an.json()).toMatchObject({
      error: { type: 'billing_error', message: expect.stringMatching(/credit balance/) },
    });
  });

  it('error=context_length_exceeded is a 400 with the providers’ messages', async () => {
    const oa = await openai('gpt-4o~error=context_length_exceeded');
    expect(oa.status).toBe(400);
    expect(await oa.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        message: expect.stringMatching(/^This model's maximum context length is/),
      },
    });
    const an = await anthropic('claude-sonnet-4-6~error=context_length_exceeded');
    expect(an.status).toBe(400);
    expect(await an.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        message: expect.stringMatching(/^prompt is too long: \d+ tokens > \d+ maximum/),
      },
    });
  });

  it('error=content_filter is a 400 content-policy error', async () => {
    const oa = await openai('gpt-4o~error=content_filter');
    expect(oa.status).toBe(400);
    expect(await oa.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'content_policy_violation',
        message: expect.stringMatching(/content management policy/),
      },
    });
    const an = await anthropic('claude-sonnet-4-6~error=content_filter');
    expect(await an.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringMatching(/content filtering policy/) },
    });
  });

  it('status= overrides the default status of error=', async () => {
    const res = await openai('gpt-4o~error=insufficient_quota;status=403');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'insufficient_quota' } });
  });

  it('sends retry-after, retry-after-ms and x-should-retry as asked', async () => {
    const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
    const res = await openai(
      faultModel('gpt-4o', { status: 429, retry_after: date, retry_after_ms: 20, should_retry: false }),
    );
    expect(res.headers.get('retry-after')).toBe(date);
    expect(res.headers.get('retry-after-ms')).toBe('20');
    expect(res.headers.get('x-should-retry')).toBe('false');
    const seconds = await anthropic('claude-sonnet-4-6~status=529;retry_after=2;should_retry=true');
    expect(seconds.headers.get('retry-after')).toBe('2');
    expect(seconds.headers.get('x-should-retry')).toBe('true');
  });

  it('adds rate-limit headers in each provider’s format', async () => {
    const oa = await openai(
      'gpt-4o~ratelimit_headers;rl_remaining_requests=0;rl_remaining_tokens=5;rl_reset_ms=1500',
    );
    expect(oa.status).toBe(200);
    expect(Object.fromEntries([...oa.headers].filter(([k]) => k.startsWith('x-ratelimit')))).toEqual({
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-limit-tokens': '100000',
      'x-ratelimit-remaining-tokens': '5',
      'x-ratelimit-reset-tokens': '1.5s',
    });
    const before = Date.now();
    const an = await anthropic('claude-sonnet-4-6~ratelimit_headers;status=429;rl_remaining_requests=0');
    expect(an.headers.get('anthropic-ratelimit-requests-limit')).toBe('100');
    expect(an.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(an.headers.get('anthropic-ratelimit-tokens-remaining')).toBe('99000');
    const reset = Date.parse(an.headers.get('anthropic-ratelimit-requests-reset') ?? '');
    expect(reset).toBeGreaterThanOrEqual(before + 900);
    expect(an.headers.get('anthropic-ratelimit-tokens-reset')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
    );
  });

  it('answers a malformed fault spec with a 400 naming the problem', async () => {
    const res = await openai('gpt-4o~stauts=503');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { message: expect.stringMatching(/unknown fault key `stauts`/) },
    });
    expect(server.hits()[0]).toMatchObject({ outcome: 'invalid_spec', baseModel: 'gpt-4o' });
  });
});

describe('FaultServer connection faults', () => {
  it('latency= delays the headers', async () => {
    const start = Date.now();
    const res = await openai('gpt-4o~latency=40');
    expect(Date.now() - start).toBeGreaterThanOrEqual(35);
    expect(res.status).toBe(200);
  });

  it('hang never answers; the client gives up', async () => {
    await expect(
      fetch(`${server.openaiBaseURL}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'gpt-4o~hang', messages }),
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow();
    expect(server.hits('gpt-4o~hang')).toEqual([expect.objectContaining({ outcome: 'hang' })]);
  });

  it('reset destroys the socket before any headers', async () => {
    await expect(openai('gpt-4o~reset')).rejects.toThrow(/fetch failed/);
    const body = JSON.stringify({ model: 'claude-sonnet-4-6~reset', max_tokens: 5, messages });
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(
          `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(received).toBe('');
    expect(server.hits().map((h) => h.outcome)).toEqual(['reset', 'reset']);
  });
});

describe('FaultServer streaming faults', () => {
  it('drop_after=N sends N pieces then destroys the socket', async () => {
    const oa = await streamOpenai({ drop_after: 2 });
    expect(oa.res.status).toBe(200);
    expect(oa.error).toBeDefined();
    expect(openaiTexts(oa.frames)).toEqual(['Hello', ' from']);
    expect(oa.raw).not.toContain('finish_reason":"stop');
    const an = await streamAnthropic({ drop_after: 1 });
    expect(an.error).toBeDefined();
    expect(an.frames.map((f) => f.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
    ]);
    expect(server.hits().map((h) => h.outcome)).toEqual(['drop_after:2', 'drop_after:1']);
  });

  it('stall_after=N;stall_ms=T pauses after N pieces, then finishes', async () => {
    const { frames, error } = await streamOpenai({ stall_after: 1, stall_ms: 40 });
    expect(error).toBeUndefined();
    const pieces = frames.filter((f) => f.data.includes('"content":"'));
    const gap = pieces[2]!.at - pieces[1]!.at; // role chunk, 'Hello', then the stall, then ' from'
    expect(gap).toBeGreaterThanOrEqual(30);
    expect(frames.at(-1)?.data).toBe('[DONE]');
  });

  it('end_after=N ends the response cleanly with no terminal event', async () => {
    const oa = await streamOpenai({ end_after: 2 }, { stream_options: { include_usage: true } });
    expect(oa.error).toBeUndefined();
    expect(openaiTexts(oa.frames)).toEqual(['Hello', ' from']);
    expect(oa.raw).not.toContain('finish_reason":"stop');
    expect(oa.raw).not.toContain('[DONE]');
    const an = await streamAnthropic({ end_after: 1 });
    expect(an.error).toBeUndefined();
    expect(an.frames.map((f) => f.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
    ]);
  });

  it('malformed_after=N sends one unparseable event, then continues', async () => {
    const oa = await streamOpenai({ malformed_after: 1 });
    expect(oa.frames.map((f) => f.data)).toContain('{not json');
    expect(oa.frames.at(-1)?.data).toBe('[DONE]');
    expect(openaiTexts(oa.frames.filter((f) => f.data !== '{not json'))).toEqual([
      'Hello',
      ' from',
      ' gpt-4o.',
    ]);
    // A block's start goes out with its first delta: before it, only message_start.
    const an = await streamAnthropic({ malformed_after: 0 });
    const bad = an.frames.findIndex((f) => f.data === '{not json');
    expect(an.frames[bad - 1]?.event).toBe('message_start');
    expect(an.frames[bad + 1]?.event).toBe('content_block_start');
    expect(an.frames.at(-1)?.event).toBe('message_stop');
  });

  it('no_done sends the finish and usage chunks but no [DONE]', async () => {
    const { raw, frames, error } = await streamOpenai(
      { no_done: true },
      { stream_options: { include_usage: true } },
    );
    expect(error).toBeUndefined();
    expect(raw).not.toContain('[DONE]');
    expect(raw).toContain('"finish_reason":"stop"');
    expect(json(frames.at(-1))).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });
  });

  it('error_event_after=N sends an in-stream error and ends', async () => {
    const oa = await streamOpenai({ error_event_after: 1 });
    expect(oa.error).toBeUndefined();
    expect(openaiTexts(oa.frames)).toEqual(['Hello']);
    expect(json(oa.frames.at(-1))).toEqual({
      error: {
        message: 'The server had an error while processing your request.',
        type: 'server_error',
        code: null,
      },
    });
    const an = await streamAnthropic({ error_event_after: 2 });
    expect(an.frames.at(-1)?.event).toBe('error');
    expect(json(an.frames.at(-1))).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    expect(anthropicTexts(an.frames)).toEqual(['Hello', ' from']);
  });

  it('error_event_after=0 on Anthropic comes right after message_start; error_type overrides the type', async () => {
    const an = await streamAnthropic({ error_event_after: 0, error_type: 'api_error' });
    expect(an.frames.map((f) => f.event)).toEqual(['message_start', 'error']);
    expect(json(an.frames[1])).toMatchObject({ error: { type: 'api_error' } });
    const oa = await streamOpenai({ error_event_after: 0, error_type: 'rate_limit_error' });
    expect(oa.frames).toHaveLength(2);
    expect(json(oa.frames[1])).toMatchObject({ error: { type: 'rate_limit_error' } });
  });

  it('first_chunk_delay=MS sends the opening frames at once and delays the first piece', async () => {
    // Relative to message_start only, so a loaded machine's event-loop lag cannot fail it.
    const { frames } = await streamAnthropic({ first_chunk_delay: 300 });
    const firstDelta = frames.find((f) => f.event === 'content_block_delta')!;
    expect(frames[0]!.event).toBe('message_start');
    expect(firstDelta.at - frames[0]!.at).toBeGreaterThanOrEqual(250);
  });

  it('chunk_delay=MS spaces the pieces', async () => {
    const { frames, start } = await streamOpenai({ chunk_delay: 20 });
    expect(openaiTexts(frames)).toHaveLength(3);
    expect(frames.at(-1)!.at - start).toBeGreaterThanOrEqual(35);
  });

  it('ignores streaming faults on non-streaming requests', async () => {
    const res = await openai('gpt-4o~drop_after=1');
    expect(await res.json()).toMatchObject({ choices: [{ message: { content: 'Hello from gpt-4o.' } }] });
    expect(server.hits()[0]?.outcome).toBe('ok');
  });
});

describe('FaultServer fault selection', () => {
  it('merges the x-fault header over the model suffix, header winning', async () => {
    const model = 'gpt-4o~status=503;retry_after_ms=20';
    const res = await openai(model, {}, { 'x-fault': 'status=429;should_retry=false' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after-ms')).toBe('20');
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(server.hits(model)[0]).toMatchObject({
      model,
      baseModel: 'gpt-4o',
      fault: { status: 429, retry_after_ms: 20, should_retry: false },
      outcome: 'status:429',
    });
    const header = await anthropic('claude-haiku-4-5', {}, { 'x-fault': 'status=529' });
    expect(header.status).toBe(529);
    expect(await header.json()).toMatchObject({ error: { type: 'overloaded_error' } });
  });

  it('fail_first=n faults only the first n hits of the model string until reset', async () => {
    const model = faultModel('gpt-4o', { status: 503, fail_first: 2, text: 'recovered' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await openai(model)).status);
    expect(statuses).toEqual([503, 503, 200, 200]);
    expect(server.hits(model).map((h) => h.outcome)).toEqual(['status:503', 'status:503', 'ok', 'ok']);
    const healthy = await (await openai(model)).json();
    expect(healthy).toMatchObject({ choices: [{ message: { content: 'recovered' } }] });

    expect((await fetch(`${server.url}/_fault/hits`, { method: 'DELETE' })).status).toBe(200);
    expect((await openai(model)).status).toBe(503);
    expect((await fetch(`${server.url}/_fault/reset`, { method: 'POST' })).status).toBe(200);
    expect((await openai(model)).status).toBe(503);
    server.resetHits();
    expect(server.hitCount()).toBe(0);
    expect((await openai(model)).status).toBe(503);
  });

  it('fail_first counts each exact model string separately', async () => {
    const a = 'claude-haiku-4-5~status=500;fail_first=1';
    const b = 'claude-haiku-4-5~status=500;fail_first=1;latency=0';
    expect((await anthropic(a)).status).toBe(500);
    expect((await anthropic(b)).status).toBe(500);
    expect((await anthropic(a)).status).toBe(200);
    expect(server.hitCount(a)).toBe(2);
    expect(server.hitCount(b)).toBe(1);
  });
});

describe('FaultServer hit log', () => {
  it('records every request and serves it at /_fault/hits, filtered by model', async () => {
    const before = Date.now();
    await openai('gpt-4o');
    await readSse(await anthropic('claude-haiku-4-5~status=503', { stream: true }));
    await readSse(await openai('gpt-4o', { stream: true }));

    const all = (await (await fetch(`${server.url}/_fault/hits`)).json()) as {
      hits: FaultHit[];
      counts: Record<string, number>;
    };
    expect(all.counts).toEqual({ 'gpt-4o': 2, 'claude-haiku-4-5~status=503': 1 });
    expect(all.hits).toEqual([
      {
        model: 'gpt-4o',
        baseModel: 'gpt-4o',
        provider: 'openai',
        stream: false,
        at: expect.any(Number),
        fault: {},
        outcome: 'ok',
        body: { model: 'gpt-4o', messages },
      },
      {
        model: 'claude-haiku-4-5~status=503',
        baseModel: 'claude-haiku-4-5',
        provider: 'anthropic',
        stream: true,
        at: expect.any(Number),
        fault: { status: 503 },
        outcome: 'status:503',
        body: { model: 'claude-haiku-4-5~status=503', max_tokens: 100, messages, stream: true },
      },
      {
        model: 'gpt-4o',
        baseModel: 'gpt-4o',
        provider: 'openai',
        stream: true,
        at: expect.any(Number),
        fault: {},
        outcome: 'ok',
        body: { model: 'gpt-4o', messages, stream: true },
      },
    ]);
    expect(all.hits[0]!.at).toBeGreaterThanOrEqual(before);

    const one = await (
      await fetch(`${server.url}/_fault/hits?model=${encodeURIComponent('claude-haiku-4-5~status=503')}`)
    ).json();
    expect(one).toMatchObject({
      hits: [{ provider: 'anthropic' }],
      counts: { 'claude-haiku-4-5~status=503': 1 },
    });
    expect(server.hitCount()).toBe(3);
    expect(server.hitCount('gpt-4o')).toBe(2);
    expect(server.hits('nope')).toEqual([]);
  });

  it('answers unknown routes with a 404', async () => {
    const res = await fetch(`${server.url}/v1/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });
});

describe('FaultServer.close', () => {
  it('ends hung and stalled requests at once and stops listening', async () => {
    const own = await FaultServer.start();
    // Each pending request gets its handler now: it rejects during close(), before it is awaited.
    const hung = fetch(`${own.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4o~hang', messages }),
    }).then(
      () => 'answered',
      (error: unknown) => error,
    );
    // Wait for the stalled stream's headers: a close before they arrive is a plain connection error.
    const stalledResponse = await fetch(`${own.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'claude-haiku-4-5~stall_after=1',
        max_tokens: 5,
        stream: true,
        messages,
      }),
    });
    const stalled = readSse(stalledResponse);
    const slow = fetch(`${own.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4o~latency=60000', messages }),
    }).then(
      () => 'answered',
      (error: unknown) => error,
    );
    while (own.hitCount() < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    // Let the stalled stream's first text reach the client before the server goes away.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const start = Date.now();
    await own.close();
    expect(Date.now() - start).toBeLessThan(2000); // not the 60 s latency, even on a loaded machine
    expect(await hung).toMatchObject({ message: 'fetch failed' });
    expect(await slow).toMatchObject({ message: 'fetch failed' });
    const stream = await stalled;
    expect(stream.error).toBeDefined();
    expect(anthropicTexts(stream.frames)).toEqual(['Hello']);
    await expect(fetch(`${own.url}/v1/models`)).rejects.toThrow();
    await expect(own.close()).resolves.toBeUndefined();
  });

  it('reports its URLs', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.openaiBaseURL).toBe(`${server.url}/v1`);
    expect(server.anthropicBaseURL).toBe(server.url);
  });
});

describe('scripted sequences', () => {
  it('plays one step per hit, `ok` healthy, the last step repeating', async () => {
    const server = await FaultServer.start();
    try {
      const model = 'seq~status=429;retry_after_ms=5|status=529|ok';
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${server.openaiBaseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
        });
        statuses.push(res.status);
        await res.text();
      }
      expect(statuses).toEqual([429, 529, 200, 200]);
      expect(server.hitCount(model)).toBe(4);
    } finally {
      await server.close();
    }
  });
});
