import {
  LLM,
  type LLMRequest,
  type Provider,
  type Reply,
  type StreamChunk,
  type Usage,
} from '../../lib/index.js';
import { CallContext, type CallParts } from '../../lib/context.js';

/** What one call of a {@link FnLLM} does. */
export interface Outcome {
  readonly text?: string;
  readonly usage?: Usage;
  /** Thrown instead of answering (ask), or after `afterChunks` chunks (stream; before any by default). */
  readonly error?: unknown;
  readonly afterChunks?: number;
  /** Never settles until the call's signal aborts. */
  readonly hang?: boolean;
}

/** Decides each call's outcome; `n` counts calls from 1. May wait (a promise) to model latency. */
export type Behaviour = (n: number, request: LLMRequest, ctx: CallContext) => Outcome | Promise<Outcome>;

const USAGE: Usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };

/** A minimal in-process LLM whose every call is decided by a function; counts its calls. */
export class FnLLM extends LLM {
  readonly model: string;
  readonly provider: Provider;
  readonly #behave: Behaviour;
  readonly #state = { calls: 0, inFlight: 0, maxInFlight: 0 };

  constructor(model: string, behave: Behaviour = () => ({}), provider: Provider = 'openai') {
    super();
    this.model = model;
    this.provider = provider;
    this.#behave = behave;
  }

  /** Calls started so far. */
  get calls(): number {
    return this.#state.calls;
  }

  /** The most calls that ran at once. */
  get maxInFlight(): number {
    return this.#state.maxInFlight;
  }

  describe(): string {
    return `${this.provider}:${this.model}`;
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    const outcome = await this.#start(request, ctx);
    try {
      if (outcome.error !== undefined) throw outcome.error;
      return this.#reply(outcome, ctx);
    } finally {
      this.#state.inFlight--;
    }
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const outcome = await this.#start(request, ctx);
    try {
      const words = (outcome.text ?? 'ok').split(' ');
      for (let i = 0; i < words.length; i++) {
        if (outcome.error !== undefined && i === (outcome.afterChunks ?? 0)) throw outcome.error;
        yield { type: 'text', text: i === 0 ? words[i]! : ` ${words[i]}` };
      }
      if (outcome.error !== undefined) throw outcome.error;
      return this.#reply(outcome, ctx);
    } finally {
      this.#state.inFlight--;
    }
  }

  async #start(request: LLMRequest, ctx: CallContext): Promise<Outcome> {
    const state = this.#state;
    state.calls++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      const outcome = await this.#behave(state.calls, request, ctx);
      if (outcome.hang) await untilAborted(ctx.signal);
      return outcome;
    } catch (error) {
      state.inFlight--;
      throw error;
    }
  }

  #reply(outcome: Outcome, ctx: CallContext): Reply {
    return {
      text: outcome.text ?? 'ok',
      model: this.model,
      provider: this.provider,
      usage: outcome.usage ?? USAGE,
      finishReason: 'stop',
      raw: {},
      attempts: ctx.attempts,
    };
  }
}

function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (signal?.aborted) reject(signal.reason);
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** A promise with its resolve and reject functions exposed. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A clock for tests: `now()` reads it, `advance(ms)` moves it. */
export function manualClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** A bare call context, as `openCall` makes one, with optional signal and buses. */
export function callContext(parts: Partial<CallParts> = {}): CallContext {
  return new CallContext({ signal: undefined, deadlineAt: undefined, attempts: [], buses: [], ...parts });
}
