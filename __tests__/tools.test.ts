import { z } from 'zod';
import type { LLM } from '../lib/llm.js';
import { runTools, tool } from '../lib/tools/run.js';
import type { ToolCall, ToolResultPart } from '../lib/types.js';
import { TurnLLM } from './helpers/turns.js';

const call = (id: string, name: string, input: unknown): ToolCall => ({ id, name, input });

/** A promise with its resolver outside. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('runTools', () => {
  it('runs the called tools in parallel and feeds their results back until an answer', async () => {
    const started: string[] = [];
    const gate = deferred();
    const llm = new TurnLLM([
      [call('c1', 'weather', { city: 'Oslo' }), call('c2', 'weather', { city: 'Rome' })],
      'Oslo 3°, Rome 18°',
    ]);
    const weather = tool({
      description: 'Current weather',
      parameters: z.object({ city: z.string() }),
      async execute({ city }) {
        started.push(city);
        if (started.length === 2) gate.resolve();
        await gate.promise; // each waits for the other: only parallel calls finish
        return { city, celsius: city === 'Oslo' ? 3 : 18 };
      },
    });
    const { reply, messages, steps } = await runTools(llm, 'Weather in Oslo and Rome?', {
      tools: { weather },
    });
    expect(reply.text).toBe('Oslo 3°, Rome 18°');
    expect(steps).toHaveLength(2);
    expect(steps[1]).toBe(reply);
    expect(messages).toEqual([
      { role: 'user', content: 'Weather in Oslo and Rome?' },
      { role: 'assistant', content: steps[0]!.content },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'c1', name: 'weather', output: { city: 'Oslo', celsius: 3 } },
          { type: 'tool-result', toolCallId: 'c2', name: 'weather', output: { city: 'Rome', celsius: 18 } },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Oslo 3°, Rome 18°' }] },
    ]);
    // every step is one ask with the tools, and the whole conversation so far
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[0]!.options.tools).toEqual([
      { name: 'weather', description: 'Current weather', parameters: weather.parameters },
    ]);
    expect(llm.requests[1]!.messages).toEqual(messages.slice(0, 3));
  });

  it('feeds a thrown error, an invalid input and an unknown tool back as isError results', async () => {
    const llm = new TurnLLM([
      [
        call('a', 'fails', {}),
        call('b', 'lookup', { id: 'not a number' }),
        call('c', 'nope', {}),
        call('d', 'lookup', { id: 2 }),
      ],
      'sorry',
    ]);
    const tools = {
      fails: tool({
        parameters: { type: 'object', properties: {} },
        execute: () => Promise.reject(new Error('disk full')),
      }),
      lookup: tool({ parameters: z.object({ id: z.number() }), execute: ({ id }) => `item ${id}` }),
    };
    const { messages, reply } = await runTools(llm, [{ role: 'user', content: 'go' }], { tools });
    expect(reply.text).toBe('sorry');
    const results = messages[2]!.content as readonly ToolResultPart[];
    expect(results.map(({ toolCallId, isError }) => [toolCallId, isError ?? false])).toEqual([
      ['a', true],
      ['b', true],
      ['c', true],
      ['d', false],
    ]);
    expect(results[0]!.output).toBe('disk full');
    expect(results[1]!.output).toMatch(
      /^The tool input does not match `tools.lookup.parameters`: .*expected number/,
    );
    expect(results[2]!.output).toBe('Unknown tool "nope". Available tools: fails, lookup');
    expect(results[3]!.output).toBe('item 2');
  });

  it('stops at maxSteps model calls, leaving the last tool calls unrun', async () => {
    let runs = 0;
    const llm = new TurnLLM(Array.from({ length: 5 }, (_, i) => [call(`c${i}`, 'again', {})]));
    const again = tool({ parameters: { type: 'object' }, execute: () => ++runs });
    const { reply, messages, steps } = await runTools(llm, 'loop', { tools: { again }, maxSteps: 3 });
    expect(llm.requests).toHaveLength(3);
    expect(steps).toHaveLength(3);
    expect(runs).toBe(2);
    expect(reply.stopReason).toBe('tool-calls');
    expect(reply.toolCalls).toEqual([call('c2', 'again', {})]);
    expect(messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'tool',
      'assistant',
    ]);
  });

  it('rejects at once on abort, even while a tool ignores its signal', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const llm = new TurnLLM([[call('c1', 'slow', {})], 'never']);
    const slow = tool({
      parameters: { type: 'object' },
      execute: (_input, { signal }) => {
        seen.push(signal);
        setTimeout(() => controller.abort(new Error('user left')), 0);
        return new Promise(() => {}); // never settles, never listens
      },
    });
    await expect(runTools(llm, 'go', { tools: { slow }, signal: controller.signal })).rejects.toThrow(
      'user left',
    );
    expect(seen[0]!.aborted).toBe(true);
    expect(llm.requests).toHaveLength(1);
    await expect(
      runTools(llm, 'go', { tools: { slow }, signal: AbortSignal.abort(new Error('already')) }),
    ).rejects.toThrow('already');
    expect(llm.requests).toHaveLength(1);
  });

  it('bounds the whole run with deadline, tools included, rejecting with TimeoutError', async () => {
    jest.useFakeTimers();
    try {
      const seen: AbortSignal[] = [];
      const llm = new TurnLLM([[call('c1', 'slow', {})], 'never']);
      const slow = tool({
        parameters: { type: 'object' },
        execute: (_input, { signal }) => {
          seen.push(signal);
          return new Promise(() => {}); // never settles
        },
      });
      const outcome = runTools(llm, 'go', { tools: { slow }, deadline: 1000 }).catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(999);
      expect(seen[0]!.aborted).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      const error = await outcome;
      expect(error).toMatchObject({ name: 'TimeoutError', kind: 'timeout' });
      expect((error as Error).message).toBe("The tool loop's deadline of 1000 ms passed");
      expect(seen[0]!.reason).toBe(error);
      expect(llm.requests).toHaveLength(1);
      expect((llm.requests[0]!.options as { deadline?: number }).deadline).toBeUndefined(); // the run's, not each step's
    } finally {
      jest.useRealTimers();
    }
  });

  it('passes the call options to every step', async () => {
    const llm = new TurnLLM([[call('c1', 't', {})], 'ok']);
    const t = tool({ parameters: { type: 'object' }, execute: () => 'x' });
    await runTools(llm, 'go', { tools: { t }, system: 'Be brief', temperature: 0, toolChoice: 'auto' });
    for (const request of llm.requests) {
      expect(request.options).toMatchObject({ system: 'Be brief', temperature: 0, toolChoice: 'auto' });
    }
  });

  it('names bad options', async () => {
    const llm = new TurnLLM(['ok']);
    const t = tool({ parameters: { type: 'object' }, execute: () => 'x' });
    await expect(runTools({} as LLM, 'go', { tools: { t } })).rejects.toThrow(
      new TypeError('`runTools` needs an LLM, got an object'),
    );
    await expect(runTools(llm, 'go', { tools: {} })).rejects.toThrow(
      new TypeError('`tools` must be an object of tools by name, got an object'),
    );
    await expect(runTools(llm, 'go', { tools: { 'bad name': t } })).rejects.toThrow(/names must match/);
    await expect(runTools(llm, 'go', { tools: { t: { parameters: {} } as never } })).rejects.toThrow(
      new TypeError('`tools.t.execute` must be a function, got undefined'),
    );
    await expect(runTools(llm, 'go', { tools: { t }, maxSteps: 0 })).rejects.toThrow(RangeError);
    await expect(runTools(llm, 'go', { tools: { t }, deadline: 2 ** 31 })).rejects.toThrow(
      new RangeError('`deadline` must be at most 2147483647 ms (about 24.8 days), got 2147483648'),
    );
    expect(llm.requests).toHaveLength(0);
  });
});
