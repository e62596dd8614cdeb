import { inspect } from 'node:util';
import { createEventBus } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { drain } from './helpers/script.js';
import { BASE_MODEL, PROVIDERS, wireLLM } from './helpers/wire.js';

const KEY = 'sk-test-RECOGNISABLE-c0ffee-4242-secret';

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
afterAll(() => server.close());

/** Everything a user could print: the value itself, deeply, as `console.error` and JSON would show it. */
function printed(value: unknown): string {
  const json = JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Error ? { ...v, message: v.message, stack: v.stack } : v,
  );
  return `${inspect(value, { depth: 12, showHidden: true })}\n${json}\n${String(value)}`;
}

describe.each(PROVIDERS)('%s: the API key never shows', (provider) => {
  it('in describe(), util.inspect of the LLM, or a successful reply', async () => {
    const llm = wireLLM(server, provider, BASE_MODEL[provider], { apiKey: KEY }).withRetry(1);
    expect(llm.describe()).not.toContain(KEY);
    expect(printed(llm)).not.toContain(KEY);
    const reply = await llm.ask('hi');
    expect(printed(reply)).not.toContain(KEY);
  });

  it('in errors, their causes, or events, even when the server echoes the key back', async () => {
    const bus = createEventBus();
    const events: unknown[] = [];
    bus.on('*', (type, payload) => events.push({ type, payload }));
    const failing = wireLLM(server, provider, `${BASE_MODEL[provider]}~status=401;echo_key`, { apiKey: KEY });
    const overloaded = wireLLM(server, provider, `${BASE_MODEL[provider]}~status=503;echo_key`, {
      apiKey: KEY,
    });
    const chain = overloaded
      .withRetry({ maxRetries: 1, initialDelay: 1 })
      .withFallbacks([failing])
      .withEvents(bus);

    const error = await chain.ask('hi').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'FallbackError' });
    expect((error as Error).message).toContain('[redacted]');
    expect(printed(error)).not.toContain(KEY);

    const stream = chain.stream('hi');
    const { error: streamError } = await drain(stream);
    expect(printed(streamError)).not.toContain(KEY);
    expect(events.length).toBeGreaterThan(0);
    expect(printed(events)).not.toContain(KEY);
  });
});
