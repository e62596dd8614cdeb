/** withHeaders over the real SDKs: the response headers reach the listener before the call settles. */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { withHeaders } from '../lib/providers/completion.js';
import { FaultServer, faultModel } from '../lib/testing/index.js';

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
afterAll(() => server.close());

const openai = (): OpenAI => new OpenAI({ apiKey: 'test-key', baseURL: server.openaiBaseURL, maxRetries: 0 });
const anthropic = (): Anthropic =>
  new Anthropic({ apiKey: 'test-key', baseURL: server.anthropicBaseURL, maxRetries: 0 });
const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'Hi' }] });

describe('withHeaders', () => {
  it('hands the response headers to the listener before the result (OpenAI, JSON and stream)', async () => {
    const order: string[] = [];
    const listen = (headers: Headers): void => {
      order.push(`headers ${headers.get('content-type')?.split(';')[0]}`);
    };
    const reply = await withHeaders(openai().chat.completions.create(ask('gpt-4o-mini')), listen);
    order.push(`reply ${reply.object}`);
    const events = await withHeaders(
      openai().chat.completions.create({ ...ask('gpt-4o-mini'), stream: true }),
      listen,
    );
    order.push('stream');
    for await (const event of events) void event;
    expect(order).toEqual([
      'headers application/json',
      'reply chat.completion',
      'headers text/event-stream',
      'stream',
    ]);
  });

  it('hands them over on Anthropic too', async () => {
    let seen: string | null = null;
    const message = await withHeaders(
      anthropic().messages.create({ ...ask('claude-haiku-4-5'), max_tokens: 64 }),
      (headers) => (seen = headers.get('content-type')),
    );
    expect(message.type).toBe('message');
    expect(seen).toMatch(/^application\/json/);
  });

  it('a listener that throws fails the call with its error', async () => {
    const failing = withHeaders(openai().chat.completions.create(ask('gpt-4o-mini')), () => {
      throw new Error('listener broke');
    });
    await expect(failing).rejects.toThrow('listener broke');
  });

  it('a failed call rejects with the SDK error, once, and the listener is not called', async () => {
    const listen = jest.fn();
    const failing = withHeaders(
      openai().chat.completions.create(ask(faultModel('gpt-4o-mini', { status: 500 }))),
      listen,
    );
    await expect(failing).rejects.toMatchObject({ status: 500 });
    expect(listen).not.toHaveBeenCalled();
  });
});
