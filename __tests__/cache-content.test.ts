import { z } from 'zod';
import { cacheKey, type CacheRequest, type Message, OpenAILLM, type StreamChunk } from '../lib/index.js';
import { cacheRequest } from '../lib/guards/cache/key.js';
import { estimateInput } from '../lib/guards/rate-limit/estimate-input.js';
import { FaultServer } from '../lib/testing/index.js';
import { ScriptLLM } from './helpers/script.js';

const base: CacheRequest = {
  provider: 'openai',
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Hi' }],
};
const png = (...bytes: number[]) => new Uint8Array([0x89, 0x50, 0x4e, 0x47, ...bytes]);
const withImage = (image: string | Uint8Array): Message[] => [
  {
    role: 'user',
    content: [
      { type: 'text', text: 'What is this?' },
      { type: 'image', image, mediaType: 'image/png' },
    ],
  },
];
const weather = () => z.object({ city: z.string() });

describe('cacheKey with content', () => {
  it("asks a Standard Schema's library for its JSON Schema once, however many calls key or estimate it", () => {
    let written = 0;
    const convert = () => (written++, { type: 'object', properties: { city: { type: 'string' } } });
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'counting',
        validate: (value: unknown) => ({ value }),
        jsonSchema: { input: convert, output: convert },
      },
    };
    const keyed = (): CacheRequest => ({ ...base, schema, tools: [{ name: 'w', parameters: schema }] });
    const first = cacheKey(keyed());
    for (let i = 0; i < 5; i++) expect(cacheKey(keyed())).toBe(first);
    estimateInput(
      { messages: base.messages, options: { schema, tools: [{ name: 'w', parameters: schema }] } },
      'openai',
    );
    expect(written).toBe(1);
  });

  it('hits for identical tools, schema, choices and parts, even as distinct objects', () => {
    const request = (): CacheRequest => ({
      ...base,
      messages: [
        ...withImage(png(1, 2, 3)),
        { role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'w', input: { a: 1, b: 2 } }] },
        {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: 'c1', name: 'w', output: { ok: true } }],
        },
      ],
      tools: [{ name: 'w', description: 'Weather', parameters: weather() }],
      toolChoice: { name: 'w' },
      schema: weather(),
    });
    expect(cacheKey(request())).toBe(cacheKey(request()));
    // object key order never matters
    const reordered = {
      ...request(),
      messages: [
        ...withImage(png(1, 2, 3)),
        { role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'w', input: { b: 2, a: 1 } }] },
        {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: 'c1', name: 'w', output: { ok: true } }],
        },
      ],
    } as CacheRequest;
    expect(cacheKey(reordered)).toBe(cacheKey(request()));
    // a zod schema keys like its JSON Schema
    expect(cacheKey({ ...base, schema: { schema: { type: 'object' } } })).toBe(
      cacheKey({ ...base, schema: { schema: { type: 'object' } } }),
    );
  });

  it('misses when the tools, tool choice, schema, choices, image bytes or provider options differ', () => {
    const keys = [
      cacheKey(base),
      cacheKey({ ...base, tools: [{ name: 'w', parameters: weather() }] }),
      cacheKey({ ...base, tools: [{ name: 'x', parameters: weather() }] }),
      cacheKey({ ...base, tools: [{ name: 'w', description: 'Weather', parameters: weather() }] }),
      cacheKey({
        ...base,
        tools: [{ name: 'w', parameters: z.object({ city: z.string(), days: z.number() }) }],
      }),
      cacheKey({ ...base, tools: [{ name: 'w', parameters: { type: 'object' } }] }),
      cacheKey({ ...base, tools: [{ name: 'w', parameters: weather() }], toolChoice: 'required' }),
      cacheKey({ ...base, schema: weather() }),
      cacheKey({ ...base, schema: z.object({ town: z.string() }) }),
      cacheKey({ ...base, schema: { schema: { type: 'object' } } }),
      cacheKey({ ...base, schema: { name: 'named', schema: { type: 'object' } } }),
      cacheKey({ ...base, choices: ['yes', 'no'] }),
      cacheKey({ ...base, choices: ['no', 'yes'] }),
      cacheKey({ ...base, messages: withImage(png(1, 2, 3)) }),
      cacheKey({ ...base, messages: withImage(png(1, 2, 4)) }),
      cacheKey({ ...base, messages: withImage('https://example.com/a.png') }),
      cacheKey({ ...base, messages: withImage('data:image/png;base64,iVBORw0KGgo=') }),
      cacheKey({
        ...base,
        messages: [{ role: 'user', content: [{ type: 'file', data: png(9), mediaType: 'application/pdf' }] }],
      }),
      cacheKey({ ...base, providerOptions: { seed: 7 } }),
      cacheKey({ ...base, extra: { tools: [] } }),
      cacheKey({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("keys only this provider's providerOptions", () => {
    const options = { providerOptions: { anthropic: { top_k: 5 } } };
    const openai = cacheRequest('openai', 'gpt-4o', { messages: base.messages, options });
    const anthropic = cacheRequest('anthropic', 'claude', { messages: base.messages, options });
    expect(openai.providerOptions).toBeUndefined();
    expect(anthropic.providerOptions).toEqual({ top_k: 5 });
  });
});

describe('withCache with content', () => {
  it('answers an identical image question from the cache and asks again for other bytes or tools', async () => {
    const inner = new ScriptLLM('m', [{ chunks: ['a cat'] }]);
    const llm = inner.withCache();
    const tools = [{ name: 'w', parameters: weather() }];
    await llm.ask(withImage(png(1)), { tools });
    const hit = await llm.ask(withImage(png(1)), { tools: [{ name: 'w', parameters: weather() }] });
    expect(hit.attempts).toEqual([]); // no request was made
    expect(inner.calls).toBe(1);
    await llm.ask(withImage(png(2)), { tools });
    await llm.ask(withImage(png(1)), { tools: [{ name: 'v', parameters: weather() }] });
    await llm.ask(withImage(png(1)), { tools, toolChoice: 'required' });
    expect(inner.calls).toBe(4);
  });
});

describe('a cached reply with tool calls', () => {
  it('streams its text, then each tool call as a delta and a complete call, like a live stream', async () => {
    const server = await FaultServer.start({
      replies: {
        calls: { text: 'Checking.', toolCalls: [{ id: 'call_1', name: 'w', input: { city: 'Oslo' } }] },
      },
    });
    try {
      const llm = new OpenAILLM('gpt-4o~reply=calls', {
        apiKey: 'k',
        baseURL: server.openaiBaseURL,
      }).withCache();
      const tools = [{ name: 'w', parameters: weather() }];
      const asked = await llm.ask('Weather?', { tools });
      const stream = llm.stream('Weather?', { tools });
      const chunks: StreamChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      const final = await stream.finalReply();
      expect(server.hits()).toHaveLength(1);
      expect(chunks).toEqual([
        { type: 'text', text: 'Checking.' },
        { type: 'tool-call-delta', id: 'call_1', name: 'w', inputDelta: '{"city":"Oslo"}', text: '' },
        { type: 'tool-call', id: 'call_1', name: 'w', input: { city: 'Oslo' }, text: '' },
      ]);
      expect(final.toolCalls).toEqual(asked.toolCalls);
      expect(final.content).toEqual(asked.content);
    } finally {
      await server.close();
    }
  });
});
