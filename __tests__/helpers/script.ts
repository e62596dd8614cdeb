import type { LLMRequest } from '../../lib/index.js';

export { seeded } from '../../bench/stats.js';
import { type Completion, ProviderLLM, type StreamUpdate } from '../../lib/providers/provider.js';

/** What one scripted attempt does. */
export interface Step {
  /** The answer, as chunks (joined for `ask`). */
  readonly chunks?: readonly string[];
  /** Thrown instead of answering (`ask`), or before the first chunk (`stream`). */
  readonly error?: unknown;
  /** Streams only: after this many chunks, throw `error`. */
  readonly cutAfter?: number;
  /** Never answers until aborted. */
  readonly hang?: boolean;
  /** Answers after this many ms (fake-timer friendly). */
  readonly delayMs?: number;
}

/**
 * An in-process provider for unit tests: the real attempt mechanics of `ProviderLLM`, with
 * each attempt's outcome scripted. The last step repeats.
 */
export class ScriptLLM extends ProviderLLM {
  readonly provider = 'openai' as const;
  readonly #steps: readonly Step[];
  readonly #log: { calls: number; requests: LLMRequest[] };

  constructor(model: string, steps: readonly Step[]) {
    super(model, {});
    this.#steps = steps;
    this.#log = { calls: 0, requests: [] };
  }

  get calls(): number {
    return this.#log.calls;
  }

  get requests(): readonly LLMRequest[] {
    return this.#log.requests;
  }

  #next(request: LLMRequest): Step {
    const step = this.#steps[Math.min(this.#log.calls, this.#steps.length - 1)]!;
    this.#log.calls++;
    this.#log.requests.push(request);
    return step;
  }

  protected async complete(request: LLMRequest, signal: AbortSignal | undefined): Promise<Completion> {
    const step = this.#next(request);
    await wait(step, signal);
    if (step.error !== undefined && step.cutAfter === undefined) throw step.error;
    const text = (step.chunks ?? ['ok']).join('');
    return {
      text,
      model: this.model,
      finishReason: 'stop',
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      raw: {},
    };
  }

  protected async open(
    request: LLMRequest,
    signal: AbortSignal | undefined,
  ): Promise<AsyncIterable<unknown>> {
    const step = this.#next(request);
    await wait(step, signal);
    if (step.error !== undefined && step.cutAfter === undefined) throw step.error;
    return (async function* () {
      const chunks = step.chunks ?? ['ok'];
      for (let i = 0; i < chunks.length; i++) {
        if (step.cutAfter === i) throw step.error;
        yield { text: chunks[i] } satisfies StreamUpdate;
        await Promise.resolve();
        signal?.throwIfAborted();
      }
      if (step.cutAfter !== undefined && step.cutAfter >= chunks.length) throw step.error;
      yield {
        finishReason: 'stop',
        inputTokens: 1,
        outputTokens: chunks.length,
        terminal: true,
      } satisfies StreamUpdate;
    })();
  }

  protected read(event: unknown): StreamUpdate {
    return event as StreamUpdate;
  }

  protected classify(error: unknown): unknown {
    return error;
  }
}

function wait(step: Step, signal: AbortSignal | undefined): Promise<void> {
  if (!step.hang && !step.delayMs) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = step.hang ? undefined : setTimeout(resolve, step.delayMs);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/** Collects a stream's chunks, and its outcome. */
export async function drain(
  stream: AsyncIterable<{ type: string; text: string }>,
): Promise<{ chunks: string[]; error?: unknown }> {
  const chunks: string[] = [];
  try {
    for await (const c of stream) chunks.push(c.type === 'reset' ? '<reset>' : c.text);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

/** Runs fake time until `promise` settles, and returns its outcome (jest fake timers must be on). */
export async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await jest.runAllTimersAsync();
  return outcome;
}

/**
 * Fake timers for every test of the calling file (or `describe` block), and a check after each that
 * no timer outlived it: a call through the chain must clear every timer it armed.
 */
export function fakeTimersPerTest(): void {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    expect(jest.getTimerCount()).toBe(0); // no timer outlives a call
    jest.useRealTimers();
  });
}
