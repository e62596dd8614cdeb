import { z } from 'zod';
import { type LLM, runTools, tool, type ToolResultPart } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { CONTENT_MODEL, type ProviderName, wireLLM } from './helpers/wire.js';

// runTools on the wire: the real SDKs against the fault server, each step one ask through the chain.

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start({
    replies: {
      calls: {
        toolCalls: [
          { id: 'call_oslo', name: 'weather', input: { city: 'Oslo' } },
          { id: 'call_rome', name: 'weather', input: { city: 'Rome' } },
        ],
        argChunks: 3,
      },
      mixed: {
        toolCalls: [
          { id: 'call_ok', name: 'weather', input: { city: 'Oslo' } },
          { id: 'call_boom', name: 'boom', input: {} },
          { id: 'call_nope', name: 'teleport', input: { to: 'Mars' } },
        ],
      },
      answer: { text: 'Oslo 3, Rome 18.' },
    },
  });
});
afterEach(() => server.resetHits());
afterAll(() => server.close());

type Name = ProviderName;
const other = (p: Name): Name => (p === 'openai' ? 'anthropic' : 'openai');
const make = (provider: Name, suffix: string): LLM =>
  wireLLM(server, provider, `${CONTENT_MODEL[provider]}${suffix}`);

const CELSIUS: Record<string, number> = { Oslo: 3, Rome: 18 };
const weather = tool({
  description: 'Current temperature',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: CELSIUS[city] }),
});
const boom = tool({
  parameters: { type: 'object', properties: {} },
  execute: () => {
    throw new Error('station offline');
  },
});

/** The tool results a request body carries, in each wire format. */
function toolResults(provider: Name, body: Readonly<Record<string, unknown>>): unknown[] {
  const messages = body.messages as { role: string; content: unknown; tool_call_id?: string }[];
  if (provider === 'openai') {
    return messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, m.content]);
  }
  return messages
    .flatMap((m) => (Array.isArray(m.content) ? (m.content as Record<string, unknown>[]) : []))
    .filter((b) => b.type === 'tool_result')
    .map((b) => [b.tool_use_id, b.content, b.is_error ?? false]);
}

describe.each(['openai', 'anthropic'] as const)('runTools on the wire, %s', (provider) => {
  it('survives a 529 on the primary: every step falls back, and both results reach the next step in each provider’s format', async () => {
    const primary = make(other(provider), '~status=529');
    const fallback = make(provider, '~reply=calls|reply=answer');
    const llm = primary.withRetry({ maxRetries: 1, initialDelay: 1 }).withFallbacks([fallback]);
    const { reply, messages, steps } = await runTools(llm, 'Weather in Oslo and Rome?', {
      tools: { weather },
    });
    expect(reply.text).toBe('Oslo 3, Rome 18.');
    expect(steps.map((s) => [s.provider, s.stopReason, s.attempts.length])).toEqual([
      [provider, 'tool-calls', 3],
      [provider, 'stop', 3],
    ]);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(server.hits(primary.model)).toHaveLength(4);
    // the second step carried both results to each provider, in its own format
    const [, second] = server.hits(fallback.model);
    const results = toolResults(provider, second!.body);
    expect(results).toHaveLength(2);
    expect(JSON.stringify(results)).toContain('"celsius\\":3');
    const [, , primarySecond] = server.hits(primary.model);
    expect(toolResults(other(provider), primarySecond!.body)).toHaveLength(2);
  });

  it('sends a thrown error and an unknown tool back as error results', async () => {
    const model = make(provider, '~reply=mixed|reply=answer');
    const { messages } = await runTools(model, 'go', { tools: { weather, boom } });
    const parts = messages[2]!.content as readonly ToolResultPart[];
    expect(parts.map((p) => [p.toolCallId, p.isError === true])).toEqual([
      ['call_ok', false],
      ['call_boom', true],
      ['call_nope', true],
    ]);
    const [, second] = server.hits(model.model);
    const wire = JSON.stringify(toolResults(provider, second!.body));
    expect(wire).toContain('station offline');
    expect(wire).toContain('Unknown tool \\"teleport\\"');
    if (provider === 'anthropic') {
      // Anthropic marks them with is_error (OpenAI has no such field: the text says it)
      expect(toolResults(provider, second!.body).map((r) => (r as unknown[])[2])).toEqual([
        false,
        true,
        true,
      ]);
    }
  });

  it('stops after maxSteps model calls', async () => {
    const model = make(provider, '~reply=calls');
    const { reply, steps } = await runTools(model, 'go', { tools: { weather }, maxSteps: 2 });
    expect(server.hits(model.model)).toHaveLength(2);
    expect(steps).toHaveLength(2);
    expect(reply.stopReason).toBe('tool-calls');
  });

  it('rejects at once when aborted during a tool that ignores its signal, and asks no more', async () => {
    const controller = new AbortController();
    const stuck = tool({
      parameters: z.object({ city: z.string() }),
      execute: () => {
        setTimeout(() => controller.abort(new Error('caller left')), 5);
        return new Promise(() => {});
      },
    });
    const model = make(provider, '~reply=calls|reply=answer');
    await expect(
      runTools(model, 'go', { tools: { weather: stuck }, signal: controller.signal }),
    ).rejects.toThrow('caller left');
    expect(server.hits(model.model)).toHaveLength(1);
  });
});
