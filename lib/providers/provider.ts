import { checkCapabilities, neededCapabilities, resolveCapabilities } from '../content/capabilities.js';
import { PartsBuilder } from '../content/parts.js';
import { mergeTools, prepareRequest, type ProviderRequest } from '../content/prepare.js';
import type { CallContext } from '../context.js';
import { emit } from '../context.js';
import { LLMError, StreamInterruptedError, StructuredOutputError, TimeoutError } from '../errors/classes.js';
import { canonicalJson } from '../guards/cache/key.js';
import { toolsKey } from '../guards/cache/content-key.js';
import { LLM, type LLMRequest } from '../llm.js';
import type {
  Attempt,
  CallOptions,
  Capabilities,
  Provider,
  Reply,
  StopReason,
  StreamChunk,
  TimeoutOptions,
} from '../types.js';
import { type Completion, completionReply, type HeaderListener, type StreamUpdate } from './completion.js';
import { checkDefaults, type ProviderDefaults } from './defaults.js';
import { chunksOf, readUsage } from './stream-read.js';
import { AttemptTimers } from './timers.js';

export {
  type Completion,
  completionReply,
  type HeaderListener,
  type SdkPromise,
  type StreamUpdate,
  withHeaders,
} from './completion.js';
export type { ProviderRequest } from '../content/prepare.js';
export type { ProviderDefaults } from './defaults.js';

/**
 * The shared mechanics of one request to a provider: resolving the request's content (tools,
 * structured output, provider options) and checking `capabilities` before anything is sent,
 * recording the attempt, timeouts and cancellation, classifying errors, building the reply's
 * parts from a stream, and turning a stream cut mid-way into a `StreamInterruptedError`. A
 * provider supplies only the SDK calls and the translation.
 */
export abstract class ProviderLLM extends LLM {
  readonly model: string;
  abstract override readonly provider: Provider;
  /** What this LLM can take; a request needing more fails with `UnsupportedRequestError` before it is sent. */
  readonly capabilities: Capabilities;
  readonly #defaults: ProviderDefaults;
  /** Requests with this provider's defaults applied, by request (see `_withDefaults`). */
  readonly #effective = new WeakMap<LLMRequest, LLMRequest>();

  protected constructor(model: string, defaults: ProviderDefaults) {
    super();
    if (typeof model !== 'string' || model.trim() === '') {
      throw new TypeError(`\`model\` must be a non-empty string, got ${JSON.stringify(model)}`);
    }
    this.model = model;
    this.#defaults = checkDefaults(defaults);
    this.capabilities = resolveCapabilities(defaults.capabilities);
  }

  describe(): string {
    return `${this.provider}:${this.model}`;
  }

  /** @internal The constructor settings that shape every answer, for cache keys (see `LLM._answerScope`). */
  override _ownAnswerScope(): string {
    const { system, temperature, maxTokens, tools, toolChoice, providerOptions } = this.#defaults;
    const own = providerOptions?.[this.provider];
    if ([system, temperature, maxTokens, tools, toolChoice, own].every((v) => v === undefined)) return '';
    return canonicalJson({
      system,
      temperature,
      maxTokens,
      tools: tools && toolsKey(tools),
      toolChoice,
      providerOptions: own,
    });
  }

  /**
   * @internal `request` with this provider's constructor `system` and `maxTokens` (unless the call
   * sets them) and default tools (a call's tool of the same name wins), for the token estimate; the
   * request itself when the constructor set none. One object per request, so estimates stay memoised.
   */
  override _withDefaults(request: LLMRequest): LLMRequest {
    const defaults = this.#defaults;
    if (defaults.system === undefined && !defaults.tools?.length && defaults.maxTokens === undefined)
      return request;
    let effective = this.#effective.get(request);
    if (effective === undefined) {
      const { options } = request;
      const { system, maxTokens } = this.settings(options);
      effective = Object.freeze({
        messages: request.messages,
        options: Object.freeze({
          ...options,
          system,
          tools: mergeTools(defaults.tools, options.tools),
          maxTokens,
        }),
      });
      this.#effective.set(request, effective);
    }
    return effective;
  }

  /** @internal This provider's default time limits, for `explain()`. */
  override _limits(): TimeoutOptions {
    return this.#defaults;
  }

  /** The SDK's JSON call. */
  protected abstract complete(
    request: ProviderRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<Completion>;
  /** The SDK's streaming call: resolves once the response has started. */
  protected abstract open(
    request: ProviderRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<AsyncIterable<unknown>>;
  /** Reads one streamed SDK event. */
  protected abstract read(event: unknown): StreamUpdate | undefined;
  /** Maps an SDK error to our taxonomy (the input itself when it is not a provider failure). */
  protected abstract classify(error: unknown): unknown;

  /** The provider's cheapest real request (a models-list call), for `ping()`. */
  protected listModels(_signal: AbortSignal | undefined): Promise<unknown> {
    return Promise.reject(new TypeError(`${this.describe()} has no models-list call to ping`));
  }

  /**
   * Checks that the provider answers, with its cheapest real request (a models-list call); used
   * by `healthCheck()`. Not an attempt: nothing is recorded or emitted. Rejects with the
   * classified error, or with `signal.reason` once the signal aborts.
   *
   * @example
   * await new OpenAILLM('gpt-4o').ping(AbortSignal.timeout(5_000));
   */
  async ping(signal?: AbortSignal): Promise<void> {
    try {
      await this.listModels(signal);
    } catch (raw) {
      throw signal?.aborted ? signal.reason : this.classify(raw);
    }
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    // Before any request: nothing is sent or recorded on failure. Plain text resolves at once (no await).
    const ready = this.#prepare(request);
    const prepared = ready instanceof Promise ? await this.#resolved(ready, ctx) : ready;
    const startedAt = Date.now();
    const timeout = this.#option(request.options, 'timeout');
    // Without a timeout the caller's signal serves as it is: no controller, no timer.
    const attempt = timeout === undefined ? undefined : new AttemptTimers(ctx.signal, this);
    attempt?.arm('timeout', timeout);
    try {
      const done = await this.complete(prepared, attempt?.signal ?? ctx.signal, this.#headerListener(ctx));
      const reply = completionReply(done, this.provider, ctx.attempts);
      // Only structured output reads the answer further (asynchronously): plain text costs no extra step.
      const answer = prepared.output === undefined ? reply : await this.#structured(prepared, reply);
      this.#record(ctx, startedAt, undefined);
      return answer;
    } catch (raw) {
      const error = this.#failure(raw, ctx, attempt?.signal);
      this.#record(ctx, startedAt, error);
      throw error;
    } finally {
      attempt?.dispose();
    }
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const ready = this.#prepare(request);
    const prepared = ready instanceof Promise ? await this.#resolved(ready, ctx) : ready;
    const startedAt = Date.now();
    const { options } = request;
    const attempt = new AttemptTimers(ctx.signal, this);
    const idleTimeout = this.#option(options, 'idleTimeout');
    attempt.arm('timeout', this.#option(options, 'timeout'));
    attempt.arm('firstChunkTimeout', this.#option(options, 'firstChunkTimeout'));
    attempt.arm('idleTimeout', idleTimeout);

    const parts = new PartsBuilder({ provider: this.provider, model: this.model });
    let shown = false;
    let finishReason: string | undefined;
    let stopReason: StopReason | undefined;
    let model = this.model;
    let raw: unknown;
    const usage = { inputTokens: 0, outputTokens: 0, reasoningTokens: -1, cachedInputTokens: -1 };
    try {
      const events = await this.open(prepared, attempt.signal, this.#headerListener(ctx));
      attempt.disarm('timeout'); // the response has started
      for await (const event of events) {
        attempt.arm('idleTimeout', idleTimeout);
        const update = this.read(event);
        if (update === undefined) continue;
        if (update.model) model = update.model;
        readUsage(usage, update);
        if (update.stopReason !== undefined) stopReason = update.stopReason;
        const chunks = chunksOf(parts, update);
        if (update.finishReason !== undefined) {
          chunks.push(...parts.finish()); // may throw: arguments that are not JSON
          finishReason = update.finishReason;
          raw = event;
        }
        for (const chunk of chunks) {
          attempt.disarm('firstChunkTimeout');
          shown = true;
          yield chunk;
        }
        if (update.terminal) break;
      }
      if (finishReason === undefined) {
        throw new StreamInterruptedError('The stream ended without its terminal event', parts.shownText, {
          provider: this.provider,
          model: this.model,
          partialContent: parts.content(),
        });
      }
    } catch (rawError) {
      // A failure after the terminal event (a stalled or cut `[DONE]`) loses nothing: the answer is whole.
      if (finishReason === undefined) {
        const error = this.#failure(rawError, ctx, attempt.signal, shown ? parts : undefined);
        this.#record(ctx, startedAt, error);
        throw error;
      }
    } finally {
      // Also runs when the consumer leaves early: aborting closes the socket.
      attempt.dispose(finishReason === undefined);
    }
    const { inputTokens, outputTokens, reasoningTokens, cachedInputTokens } = usage;
    const fields = completionReply(
      {
        content: parts.content(),
        model,
        finishReason,
        ...(stopReason === undefined ? {} : { stopReason }),
        usage: {
          inputTokens,
          outputTokens,
          totalTokens: inputTokens + outputTokens,
          ...(reasoningTokens < 0 ? {} : { reasoningTokens }),
          ...(cachedInputTokens < 0 ? {} : { cachedInputTokens }),
        },
        raw,
      },
      this.provider,
      ctx.attempts,
    );
    let reply: Reply;
    try {
      reply = await this.#structured(prepared, fields);
    } catch (error) {
      this.#record(ctx, startedAt, error);
      throw error;
    }
    this.#record(ctx, startedAt, undefined);
    return reply;
  }

  /**
   * Resolves the request for this provider and checks it against `capabilities`; throws
   * `UnsupportedRequestError` (or a `TypeError` for a bad tool or schema) before any request.
   */
  #prepare(request: LLMRequest): ProviderRequest | Promise<ProviderRequest> {
    const content = this.#defaults;
    const tools = mergeTools(content.tools, request.options.tools);
    checkCapabilities(this.capabilities, neededCapabilities(request.messages, request.options, tools), this);
    return prepareRequest(request, this.provider, content);
  }

  /** A request whose tools or schema had to be resolved: the caller may have aborted meanwhile. */
  async #resolved(ready: Promise<ProviderRequest>, ctx: CallContext): Promise<ProviderRequest> {
    const prepared = await ready;
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    return prepared;
  }

  /** With `schema` or `choices`, the answer's `object` or `choice` (not for a turn of tool calls). */
  async #structured(request: ProviderRequest, fields: Reply): Promise<Reply> {
    const { output } = request;
    if (output === undefined || fields.toolCalls.length > 0) return fields;
    return {
      ...fields,
      ...(await output.read(fields.text, { provider: this.provider, model: fields.model })),
    };
  }

  /**
   * Cancellation wins; then our own stall timers; then the SDK error, classified. After any
   * chunk has been shown, any failure but a structured-output one is an interruption.
   */
  #failure(raw: unknown, ctx: CallContext, own: AbortSignal | undefined, shown?: PartsBuilder): unknown {
    if (ctx.onHeaders) this.#errorHeaders(ctx.onHeaders, raw);
    if (ctx.signal?.aborted) return ctx.signal.reason;
    const error = own?.aborted && own.reason instanceof TimeoutError ? own.reason : this.classify(raw);
    if (
      shown === undefined ||
      !(error instanceof LLMError) ||
      error instanceof StreamInterruptedError ||
      error instanceof StructuredOutputError
    ) {
      return error;
    }
    const partialText = shown.shownText;
    return new StreamInterruptedError(
      `The stream was cut after ${partialText.length} characters of text: ${error.message}`,
      partialText,
      {
        provider: this.provider,
        model: this.model,
        status: error.status,
        requestId: error.requestId,
        retryAfterMs: error.retryAfterMs,
        cause: error,
        partialContent: shown.content(),
      },
    );
  }

  /** Passes response headers up to `ctx.onHeaders`, or `undefined` (the usual case: nobody listens, nothing is read). */
  #headerListener(ctx: CallContext): HeaderListener | undefined {
    const { onHeaders } = ctx;
    return onHeaders && ((headers) => onHeaders(this.provider, headers));
  }

  /** An SDK error's response headers (a 429 carries the rate-limit ones), recognised by shape across realms. */
  #errorHeaders(onHeaders: NonNullable<CallContext['onHeaders']>, raw: unknown): void {
    const headers = (raw as { headers?: unknown } | null)?.headers;
    if (typeof (headers as Headers | undefined)?.get === 'function')
      onHeaders(this.provider, headers as Headers);
  }

  #record(ctx: CallContext, startedAt: number, error: unknown): void {
    const durationMs = Date.now() - startedAt;
    const { model, provider } = this;
    const attempt: Attempt =
      error === undefined
        ? { model, provider, startedAt, durationMs, outcome: 'success' }
        : { model, provider, startedAt, durationMs, outcome: 'error', error };
    ctx.attempts.push(attempt);
    emit(ctx, 'attempt', attempt);
  }

  #option(options: CallOptions, name: keyof TimeoutOptions): number | undefined {
    return options[name] ?? this.#defaults[name];
  }

  /** A call's `system`, `temperature` and `maxTokens`: the call's own, else this provider's defaults. */
  protected settings(options: CallOptions): Pick<ProviderDefaults, 'system' | 'temperature' | 'maxTokens'> {
    const { system, temperature, maxTokens } = this.#defaults;
    return {
      system: options.system ?? system,
      temperature: options.temperature ?? temperature,
      maxTokens: options.maxTokens ?? maxTokens,
    };
  }
}
