import { z } from 'zod';
import { type Message, RateLimitedError, RateLimiter } from '../lib/index.js';
import { estimateInput, FILE_PAGE_TOKENS, IMAGE_TOKENS } from '../lib/guards/rate-limit/estimate-input.js';
import { estimateRequestTokens } from '../lib/guards/rate-limit/tokens.js';
import { ScriptLLM } from './helpers/script.js';

const image = (n: number): Message => ({
  role: 'user',
  content: [
    { type: 'text', text: 'Compare these.' },
    ...Array.from({ length: n }, () => ({ type: 'image' as const, image: 'https://example.com/a.png' })),
  ],
});
const pdf = (pages: number) =>
  new TextEncoder().encode(
    `%PDF-1.7\n1 0 obj << /Type /Pages /Count ${pages} >>\n` +
      Array.from({ length: pages }, (_, i) => `${i + 2} 0 obj << /Type /Page /Parent 1 0 R >>\n`).join(''),
  );

describe('estimateInput', () => {
  it('counts text parts, tool calls and results, tool definitions and the schema as text', () => {
    const { texts, fixedTokens } = estimateInput(
      {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
          {
            role: 'assistant',
            content: [{ type: 'tool-call', id: 'c1', name: 'weather', input: { city: 'Oslo' } }],
          },
          {
            role: 'tool',
            content: [{ type: 'tool-result', toolCallId: 'c1', name: 'weather', output: '3°C' }],
          },
        ],
        options: {
          system: 'Be brief',
          tools: [
            { name: 'weather', description: 'Current weather', parameters: z.object({ city: z.string() }) },
          ],
          schema: { name: 'answer', schema: { type: 'object' } },
        },
      },
      'openai',
    );
    expect(fixedTokens).toBe(0);
    expect(texts).toEqual([
      'Be brief',
      'Weather in Oslo?',
      'weather{"city":"Oslo"}',
      '3°C',
      'weather Current weather {"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}',
      'answer {"type":"object"}',
    ]);
  });

  it("counts images at each provider's published cost and files by their pages", () => {
    expect(estimateInput({ messages: [image(2)], options: {} }, 'openai').fixedTokens).toBe(
      2 * IMAGE_TOKENS.openai,
    );
    expect(estimateInput({ messages: [image(2)], options: {} }, 'anthropic').fixedTokens).toBe(
      2 * IMAGE_TOKENS.anthropic,
    );
    const file = (data: string | Uint8Array): Message[] => [
      { role: 'user', content: [{ type: 'file', data, mediaType: 'application/pdf' }] },
    ];
    expect(estimateInput({ messages: file(pdf(3)), options: {} }, 'anthropic').fixedTokens).toBe(
      3 * FILE_PAGE_TOKENS,
    );
    const base64 = Buffer.from(pdf(5)).toString('base64');
    expect(estimateInput({ messages: file(base64), options: {} }, 'openai').fixedTokens).toBe(
      5 * FILE_PAGE_TOKENS,
    );
    // no page objects to read (compressed): one page per 50 kB
    expect(
      estimateInput({ messages: file(new Uint8Array(120_000)), options: {} }, 'openai').fixedTokens,
    ).toBe(3 * FILE_PAGE_TOKENS);
  });
});

describe('the token estimate with content', () => {
  it('grows with tool definitions and images', async () => {
    const plain = await estimateRequestTokens(
      { messages: [{ role: 'user', content: 'Hi' }], options: {} },
      'openai',
      0,
    );
    const withTool = await estimateRequestTokens(
      {
        messages: [{ role: 'user', content: 'Hi' }],
        options: { tools: [{ name: 'weather', parameters: z.object({ city: z.string() }) }] },
      },
      'openai',
      0,
    );
    const withImage = await estimateRequestTokens({ messages: [image(1)], options: {} }, 'openai', 0);
    expect(withTool).toBeGreaterThan(plain + 10);
    expect(withImage).toBeGreaterThan(IMAGE_TOKENS.openai);
  });

  it('refuses a request whose images can never fit tokensPerMinute before any request', async () => {
    const inner = new ScriptLLM('m', [{ chunks: ['ok'] }]);
    const llm = inner.withRateLimit(new RateLimiter({ tokensPerMinute: 1000, expectedOutputTokens: 10 }));
    await expect(llm.ask('Hi')).resolves.toMatchObject({ text: 'ok' });
    const error = await llm.ask([image(2)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).message).toMatch(/can never fit in tokensPerMinute \(1000\)/);
    expect(inner.calls).toBe(1);
  });
});
