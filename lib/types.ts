/** The provider family an LLM talks to. An OpenAI-compatible server (Ollama, vLLM, …) is `'openai'`. */
export type Provider = 'openai' | 'anthropic';

/** One turn of a conversation. */
export interface Message {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** What `ask()` and `stream()` accept: a single user prompt or a whole conversation. */
export type Input = string | readonly Message[];

/** Token counts as the provider reported them. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
}

/** One request made during a call, successful or not. */
export interface Attempt {
  readonly model: string;
  readonly provider: Provider;
  /** Epoch milliseconds at which the request started. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: 'success' | 'error';
  readonly error?: unknown;
}

/** A complete answer. `ask()` resolves to one; `ReplyStream.finalReply()` too. */
export interface Reply {
  readonly text: string;
  /** The model that actually answered (after fallbacks). */
  readonly model: string;
  readonly provider: Provider;
  readonly usage: Usage;
  /** The provider's own reason, e.g. `stop`, `length`, `end_turn`, `max_tokens`. */
  readonly finishReason: string;
  /** Set when a cache served the reply: `'hit'` fresh, `'stale'` served past its TTL because the call failed. */
  readonly cached?: 'hit' | 'stale';
  /** The provider's response object (for streams: the last event carrying the finish reason). */
  readonly raw: unknown;
  /** Every request of the call, in order, across retries and fallbacks. */
  readonly attempts: readonly Attempt[];
}

/**
 * A piece of a streamed answer. `reset` is sent only with `onInterrupt: 'restart'`: discard
 * the text shown so far, the answer starts again.
 */
export type StreamChunk =
  { readonly type: 'text'; readonly text: string } | { readonly type: 'reset'; readonly text: '' };

/** Time limits, each in milliseconds. Provider constructors take them as defaults; call options override. */
export interface TimeoutOptions {
  /** Bounds one attempt until its response starts. */
  readonly timeout?: number;
  /** Streams: from the request to the first text. */
  readonly firstChunkTimeout?: number;
  /** Streams: bounds every gap between events. */
  readonly idleTimeout?: number;
}

/** Options of one `ask()` / `stream()` call. */
export interface CallOptions extends TimeoutOptions {
  /** Aborting rejects the call at once with `signal.reason`; nothing is retried after it. */
  readonly signal?: AbortSignal;
  /** Bounds the whole call, across retries and fallbacks, in ms from its start. */
  readonly deadline?: number;
  readonly system?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Provider-specific request fields, passed to the SDK as they are (e.g. `{ top_p: 0.9 }`). */
  readonly extra?: Readonly<Record<string, unknown>>;
}
