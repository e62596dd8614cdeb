/** The provider family an LLM talks to. An OpenAI-compatible server (Ollama, vLLM, …) is `'openai'`. */
export type Provider = 'openai' | 'anthropic';

/** Plain text, in a user or an assistant turn. */
export interface TextPart {
  readonly type: 'text';
  readonly text: string;
}

/**
 * An image in a user turn: an `https:` URL, a `data:` URL, or the bytes themselves.
 * `mediaType` (e.g. `image/png`) is needed for bytes; a data URL carries its own.
 */
export interface ImagePart {
  readonly type: 'image';
  readonly image: string | Uint8Array;
  readonly mediaType?: string;
}

/** A file (a PDF) in a user turn: base64 text or bytes, with its media type. */
export interface FilePart {
  readonly type: 'file';
  /** Base64 (no `data:` prefix) or the bytes. */
  readonly data: string | Uint8Array;
  /** e.g. `application/pdf`. */
  readonly mediaType: string;
  readonly filename?: string;
}

/** What a user turn is made of. */
export type UserPart = TextPart | ImagePart | FilePart;

/** A tool call the model made: its id, the tool's name, and the parsed JSON arguments. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments, parsed from JSON. */
  readonly input: unknown;
}

/** A tool call as part of an assistant turn. */
export interface ToolCallPart extends ToolCall {
  readonly type: 'tool-call';
}

/**
 * The model's reasoning (Anthropic `thinking`); `signature` must travel back with it unchanged.
 * Reasoning the provider encrypted (Anthropic `redacted_thinking`) has empty `text` and its
 * opaque `redacted` data, which must travel back unchanged too: Anthropic checks a tool-use
 * turn's reasoning when the conversation goes on.
 */
export interface ReasoningPart {
  readonly type: 'reasoning';
  readonly text: string;
  readonly signature?: string;
  /** Anthropic `redacted_thinking` `data`: the reasoning, encrypted; `text` is then `''`. */
  readonly redacted?: string;
}

/** What an assistant turn is made of. */
export type AssistantPart = TextPart | ToolCallPart | ReasoningPart;

/** The result of one tool call, fed back to the model. */
export interface ToolResultPart {
  readonly type: 'tool-result';
  /** The `id` of the tool call it answers. */
  readonly toolCallId: string;
  /** The tool's name. */
  readonly name: string;
  /** A string is sent as it is; anything else as JSON. */
  readonly output: unknown;
  /** The tool failed: `output` describes the failure. */
  readonly isError?: boolean;
}

/** Instructions for the model. */
export interface SystemMessage {
  readonly role: 'system';
  readonly content: string;
}

/** A user turn: a string, or text, image and file parts. */
export interface UserMessage {
  readonly role: 'user';
  readonly content: string | readonly UserPart[];
}

/** An assistant turn: a string, or text, tool-call and reasoning parts (`Reply.content` is one). */
export interface AssistantMessage {
  readonly role: 'assistant';
  readonly content: string | readonly AssistantPart[];
}

/** The results of the previous assistant turn's tool calls. */
export interface ToolMessage {
  readonly role: 'tool';
  readonly content: readonly ToolResultPart[];
}

/** One turn of a conversation, provider-neutral: each provider translates it both ways. */
export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** What `ask()` and `stream()` accept: a single user prompt or a whole conversation. */
export type Input = string | readonly Message[];

/** Token counts as the provider reported them. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
  /** Output tokens spent on reasoning, where the provider reports them (part of `outputTokens`). */
  readonly reasoningTokens?: number;
  /** Input tokens read from the provider's prompt cache, where it reports them. */
  readonly cachedInputTokens?: number;
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

/**
 * Why the model stopped, the same words for every provider (`finishReason` keeps the
 * provider's own): `'stop'` a complete answer, `'length'` cut by `maxTokens`, `'tool-calls'`
 * waiting for tool results, `'content-filter'` blocked, `'other'` any other word.
 */
export type StopReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'other';

/** A complete answer. `ask()` resolves to one; `ReplyStream.finalReply()` too. */
export interface Reply {
  /** The answer's text (its text parts joined). */
  readonly text: string;
  /** The assistant's whole turn, ready to append to the conversation as `{ role: 'assistant', content }`. */
  readonly content: readonly AssistantPart[];
  /** The tool calls of this turn, in order (empty when none). */
  readonly toolCalls: readonly ToolCall[];
  /** The model that actually answered (after fallbacks). */
  readonly model: string;
  readonly provider: Provider;
  readonly usage: Usage;
  /** Why the model stopped, normalised across providers. */
  readonly stopReason: StopReason;
  /** The provider's own reason, e.g. `stop`, `length`, `end_turn`, `max_tokens`, `tool_use`. */
  readonly finishReason: string;
  /** With `schema`: the answer parsed (and, for a Standard Schema, validated) from JSON. */
  readonly object?: unknown;
  /** With `choices`: the one chosen. */
  readonly choice?: string;
  /** Set when a cache served the reply: `'hit'` fresh, `'stale'` served past its TTL because the call failed. */
  readonly cached?: 'hit' | 'stale';
  /** The provider's response object (for streams: the last event carrying the finish reason). */
  readonly raw: unknown;
  /** Every request of the call, in order, across retries and fallbacks. */
  readonly attempts: readonly Attempt[];
}

/**
 * A piece of a streamed answer:
 * - `text`: answer text;
 * - `reasoning`: the model's reasoning text (Anthropic thinking), never part of `text`;
 * - `tool-call-delta`: a piece of a tool call's JSON arguments (`inputDelta`), as it arrives;
 * - `tool-call`: a tool call, once its arguments are complete, with `input` parsed;
 * - `reset`: sent only with `onInterrupt: 'restart'`: discard everything shown so far, the
 *   answer starts again.
 *
 * Every chunk has `text` (empty but for `text` and `reasoning`), so
 * `process.stdout.write(chunk.text)` stays safe for any chunk.
 */
export type StreamChunk =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'reasoning'; readonly text: string }
  | {
      readonly type: 'tool-call-delta';
      readonly id: string;
      readonly name: string;
      readonly inputDelta: string;
      readonly text: '';
    }
  | {
      readonly type: 'tool-call';
      readonly id: string;
      readonly name: string;
      readonly input: unknown;
      readonly text: '';
    }
  | { readonly type: 'reset'; readonly text: '' };

/**
 * A Standard Schema (zod 4, valibot, arktype…), as `@standard-schema/spec` defines it (the
 * interface is copied, as the spec invites, so the package has no dependency for it).
 */
export interface StandardSchema<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** A Standard Schema's verdict: the output, or the issues. */
export type StandardSchemaResult<Output> =
  { readonly value: Output; readonly issues?: undefined } | { readonly issues: readonly SchemaIssue[] };

/** One validation failure. */
export interface SchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** A JSON Schema object, e.g. `{ type: 'object', properties: { … }, required: [ … ] }`. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Structured output by JSON Schema: the schema and, optionally, the name the provider is shown. */
export interface JsonSchemaSpec {
  /** `[a-zA-Z0-9_-]`, up to 64 characters; a valid one is generated when absent. */
  readonly name?: string;
  readonly description?: string;
  readonly schema: JsonSchema;
}

/** What `schema` accepts: a JSON Schema (`{ name?, schema }`) or a Standard Schema. */
export type SchemaInput = JsonSchemaSpec | StandardSchema;

/** A tool the model may call. `parameters` is a JSON Schema object or a Standard Schema that can give one (zod 4). */
export interface ToolSpec {
  readonly name: string;
  readonly description?: string;
  readonly parameters: JsonSchema | StandardSchema;
}

/** Whether and which tool the model must call. `'none'` still sends the tools. */
export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

/**
 * Provider-only request fields, merged into that provider's request body as they are. Keyed by
 * provider, so a fallback to the other provider never receives them.
 *
 * @example
 * { providerOptions: { openai: { seed: 7 }, anthropic: { thinking: { type: 'enabled', budget_tokens: 2048 } } } }
 */
export interface ProviderOptions {
  readonly openai?: Readonly<Record<string, unknown>>;
  readonly anthropic?: Readonly<Record<string, unknown>>;
}

/** What a provider LLM can take; a request needing more fails with `UnsupportedRequestError` before it is sent. */
export interface Capabilities {
  readonly tools: boolean;
  readonly images: boolean;
  readonly files: boolean;
  /** Structured output (`schema`, `choices`). */
  readonly schema: boolean;
  /** Reasoning parts sent back to the model. */
  readonly reasoning: boolean;
}

/** Time limits, each in milliseconds. Provider constructors take them as defaults; call options override. */
export interface TimeoutOptions {
  /** Bounds one attempt until its response starts. */
  readonly timeout?: number;
  /** Streams: from the request to the first chunk. */
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
  /** Tools the model may call (added to the provider's default tools; a call's tool wins by name). */
  readonly tools?: readonly ToolSpec[];
  /** @default 'auto' when there are tools */
  readonly toolChoice?: ToolChoice;
  /** The answer must be JSON following this schema; `reply.object` holds it. */
  readonly schema?: SchemaInput;
  /** The answer must be one of these; `reply.choice` holds it. */
  readonly choices?: readonly string[];
  /** Provider-only request fields, per provider. */
  readonly providerOptions?: ProviderOptions;
  /**
   * Provider-specific request fields, passed to the SDK as they are (e.g. `{ top_p: 0.9 }`).
   * @deprecated Sent to whichever provider serves the call; use `providerOptions`.
   */
  readonly extra?: Readonly<Record<string, unknown>>;
}
