import { z } from 'zod';
import { FallbackError, type LLM, type StreamChunk, StructuredOutputError } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { CONTENT_MODEL, type ProviderName, wireLLM } from './helpers/wire.js';

// Structured output through retry and fallback, on the wire: the real SDKs against the fault server.

const Forecast = z.object({ city: z.string(), celsius: z.number(), sky: z.enum(['clear', 'cloudy']) });
const good = { city: 'Oslo', celsius: 3, sky: 'cloudy' };

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start({
    replies: {
      good: { json: good },
      notjson: { jsonText: '{"city": "Oslo", "celsius":' },
      wrong: { json: { city: 'Oslo', celsius: 'cold', sky: 'cloudy' } },
      yes: { json: { choice: 'yes' } },
    },
  });
});
afterEach(() => server.resetHits());
afterAll(() => server.close());

type Name = ProviderName;
const other = (p: Name): Name => (p === 'openai' ? 'anthropic' : 'openai');
const make = (provider: Name, suffix: string): LLM =>
  wireLLM(server, provider, `${CONTENT_MODEL[provider]}${suffix}`);
const fast = { initialDelay: 1, jitter: false } as const;

async function collect(stream: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe.each(['openai', 'anthropic'] as const)('structured output through a chain, %s first', (provider) => {
  it('answers a zod schema with a typed, validated object', async () => {
    const reply = await make(provider, '~reply=good').withRetry(1).ask('Weather?', { schema: Forecast });
    expect(reply.object).toEqual(good);
    expect(reply.object.sky).toBe('cloudy');
    expect(reply.attempts).toHaveLength(1);
  });

  it('does not retry invalid JSON or a schema violation by default', async () => {
    for (const name of ['notjson', 'wrong']) {
      const model = make(provider, `~reply=${name}`);
      const error = await model
        .withRetry({ maxRetries: 2, ...fast })
        .ask('Weather?', { schema: Forecast })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StructuredOutputError);
      expect((error as StructuredOutputError).issues === undefined).toBe(name === 'notjson');
      expect(server.hits(model.model)).toHaveLength(1);
    }
  });

  it("retries with retryOn: ['structured_output']", async () => {
    const model = make(provider, '~reply=wrong|reply=notjson|reply=good');
    const reply = await model
      .withRetry({ maxRetries: 2, retryOn: ['structured_output'], ...fast })
      .ask('Weather?', { schema: Forecast });
    expect(reply.object).toEqual(good);
    expect(server.hits(model.model)).toHaveLength(3);
    expect(reply.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'success']);
    expect(reply.attempts[0]!.error).toBeInstanceOf(StructuredOutputError);
  });

  it('falls back to the other provider by default', async () => {
    const primary = make(provider, '~reply=wrong');
    const reply = await primary
      .withRetry({ maxRetries: 2, ...fast })
      .withFallbacks([make(other(provider), '~reply=good')])
      .ask('Weather?', { schema: Forecast });
    expect(reply.provider).toBe(other(provider));
    expect(reply.object).toEqual(good);
    expect(server.hits(primary.model)).toHaveLength(1);
    expect(reply.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      [provider, 'error'],
      [other(provider), 'success'],
    ]);
  });

  it('reports every failure when no LLM of the chain answers with a valid object', async () => {
    const error = await make(provider, '~reply=notjson')
      .withFallbacks([make(other(provider), '~reply=wrong')])
      .ask('Weather?', { schema: Forecast })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FallbackError);
    expect((error as FallbackError).errors.map((e) => (e as StructuredOutputError).kind)).toEqual([
      'structured_output',
      'structured_output',
    ]);
  });

  it('parses a JSON Schema answer without validating it', async () => {
    const schema = {
      name: 'forecast',
      schema: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'] },
    };
    const reply = await make(provider, '~reply=wrong').ask('Weather?', { schema });
    expect(reply.object).toEqual({ city: 'Oslo', celsius: 'cold', sky: 'cloudy' });
  });

  it('answers choices after a 529 on the primary', async () => {
    const reply = await make(provider, '~status=529')
      .withRetry({ maxRetries: 1, ...fast })
      .withFallbacks([make(other(provider), '~reply=yes')])
      .ask('Raining?', { choices: ['yes', 'no'] });
    expect(reply.choice).toBe('yes');
    expect(reply.provider).toBe(other(provider));
    expect(reply.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'success']);
  });

  it('streams the JSON and gives finalReply().object after a 529 on the primary', async () => {
    const stream = make(provider, '~status=529')
      .withRetry({ maxRetries: 1, ...fast })
      .withFallbacks([make(other(provider), '~reply=good')])
      .stream('Weather?', { schema: Forecast });
    const chunks = await collect(stream);
    const final = await stream.finalReply();
    expect(final.object).toEqual(good);
    expect(final.object.city).toBe('Oslo');
    expect(chunks.map((c) => c.text).join('')).toBe(final.text);
    expect(JSON.parse(final.text)).toEqual(good);
  });

  it('restarts a stream whose answer fails the schema on the fallback, with a reset first', async () => {
    const stream = make(provider, '~reply=wrong')
      .withFallbacks([make(other(provider), '~reply=good')], { onInterrupt: 'restart' })
      .stream('Weather?', { schema: Forecast });
    const chunks = await collect(stream);
    const final = await stream.finalReply();
    const reset = chunks.findIndex((c) => c.type === 'reset');
    expect(reset).toBeGreaterThan(0);
    expect(
      chunks
        .slice(reset + 1)
        .map((c) => c.text)
        .join(''),
    ).toBe(final.text);
    expect(final.object).toEqual(good);
    expect(final.provider).toBe(other(provider));
  });

  it('ends a stream whose shown answer fails the schema with StructuredOutputError by default', async () => {
    // The JSON reached the caller: falling back would show a second answer after the first.
    const fallback = make(other(provider), '~reply=good');
    const stream = make(provider, '~reply=wrong')
      .withFallbacks([fallback])
      .stream('Weather?', { schema: Forecast });
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect((error as StructuredOutputError).issues![0]!.path).toEqual(['celsius']);
    await expect(stream.finalReply()).rejects.toBe(error);
    expect(server.hits(fallback.model)).toHaveLength(0);
  });
});
