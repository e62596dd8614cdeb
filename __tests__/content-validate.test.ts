import {
  fallsBackByDefault,
  type Message,
  OpenAILLM,
  StreamInterruptedError,
  StructuredOutputError,
  UnsupportedRequestError,
} from '../lib/index.js';

// Never sends: every case here fails before a request (the baseURL is unroutable on purpose).
const llm = new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1' });

const ask = (messages: unknown, options: object = {}): Promise<unknown> =>
  llm.ask(messages as Message[], options);

describe('content input validation', () => {
  it.each([
    [
      [{ role: 'user', content: [{ type: 'image', image: 42 }] }],
      /messages\[0\]\.content\[0\] \(image\): `image`/,
    ],
    [
      [{ role: 'user', content: [{ type: 'image', image: 'ftp://x/y.png' }] }],
      /messages\[0\]\.content\[0\] \(image\)/,
    ],
    [
      [{ role: 'user', content: [{ type: 'image', image: new Uint8Array([1, 2]) }] }],
      /messages\[0\]\.content\[0\] \(image\): `mediaType`/,
    ],
    [
      [{ role: 'user', content: [{ type: 'file', data: 'JVBERi0=' }] }],
      /messages\[0\]\.content\[0\] \(file\): `mediaType`/,
    ],
    [
      [{ role: 'user', content: [{ type: 'video' }] }],
      /messages\[0\]\.content\[0\] \(video\): a user part's `type`/,
    ],
    [
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'tool-call', id: '', name: 'f', input: {} }] },
      ],
      /messages\[1\]\.content\[0\] \(tool-call\): `id` must be a non-empty string/,
    ],
    [
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'a', name: 'f' }] },
      ],
      /messages\[1\]\.content\[0\] \(tool-call\): `input`/,
    ],
    [
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'reasoning', text: '', redacted: 7 }] },
      ],
      /messages\[1\]\.content\[0\] \(reasoning\): `redacted`/,
    ],
    [[{ role: 'tool', content: 'result' }], /messages\[0\]\.content must be an array of tool-result parts/],
    [
      [{ role: 'tool', content: [{ type: 'text', text: 'x' }] }],
      /messages\[0\]\.content\[0\] \(text\): a tool message/,
    ],
    [[{ role: 'system', content: [{ type: 'text', text: 'x' }] }], /messages\[0\]\.content must be a string/],
    [[{ role: 'user', content: 'a' }, 'b'], /\[1\]`? must be a message/],
  ])('rejects a bad shape with a TypeError naming the message and part (%#)', async (messages, message) => {
    const error = await ask(messages).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TypeError', message: expect.stringMatching(message) });
  });

  it('never shows a long string or bytes in the message', async () => {
    const secretish = 'x'.repeat(500);
    const error = (await ask([{ role: 'user', content: [{ type: 'file', data: secretish }] }]).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message.length).toBeLessThan(200);
  });

  it('accepts string content for system, user and assistant turns', () => {
    expect(() =>
      llm.stream([
        { role: 'system', content: 's' },
        { role: 'user', content: 'u' },
        { role: 'assistant', content: 'a' },
        { role: 'user', content: [{ type: 'text', text: 'u2' }] },
      ]),
    ).not.toThrow();
  });

  it.each([
    [{ tools: [{ name: 'has space', parameters: {} }] }, /`tools\[0\]\.name` must match/],
    [{ tools: [{ name: 'f' }] }, /`tools\[0\]\.parameters`/],
    [
      {
        tools: [
          { name: 'f', parameters: {} },
          { name: 'f', parameters: {} },
        ],
      },
      /given twice/,
    ],
    [{ toolChoice: 'any' }, /`toolChoice` must be/],
    [{ schema: { type: 'object' } }, /`schema` must be a Standard Schema/],
    [{ choices: [] }, /`choices` must be a non-empty array/],
    [{ providerOptions: { gemini: {} } }, /takes only 'openai' and 'anthropic', got "gemini"/],
    [{ providerOptions: { openai: 3 } }, /`providerOptions\.openai` must be an object/],
  ])('rejects bad content options, naming the option (%#)', (options, message) => {
    expect(() => llm.stream('hi', options as object)).toThrow(message);
  });
});

describe('StructuredOutputError and UnsupportedRequestError', () => {
  it('are not retried and fall back by default', () => {
    const structured = new StructuredOutputError('bad JSON', '{"a":', undefined, { provider: 'openai' });
    const unsupported = new UnsupportedRequestError('no images', ['images'], { provider: 'openai' });
    expect(structured).toMatchObject({ kind: 'structured_output', text: '{"a":', retryable: false });
    expect(structured.issues).toBeUndefined();
    expect(unsupported).toMatchObject({ kind: 'unsupported', missing: ['images'], retryable: false });
    expect(fallsBackByDefault(structured)).toBe(true);
    expect(fallsBackByDefault(unsupported)).toBe(true);
  });

  it('StreamInterruptedError.partialContent defaults to the text shown', () => {
    expect(new StreamInterruptedError('cut', 'Hel').partialContent).toEqual([{ type: 'text', text: 'Hel' }]);
    expect(new StreamInterruptedError('cut', '').partialContent).toEqual([]);
  });
});
