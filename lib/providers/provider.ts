import type { CallContext } from '../context.js';
import { emit } from '../context.js';
import { LLMError, StreamInterruptedError, TimeoutError } from '../errors/classes.js';
import { LLM, type LLMRequest } from '../llm.js';
import type { Attempt, CallOptions, Provider, Reply, StreamChunk, TimeoutOptions, Usage } from '../types.js';
import { clearTimer, setTimer, type Timer } from '../sleep.js';
import { checkDuration, checkInteger, checkNumber } from '../validate.js';

/** What a provider reads off one streamed SDK event. */
export interface StreamUpdate {
  readonly text?: string;
  readonly finishReason?: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  /** The model named by the response. */
  readonly model?: string;
  /** The provider's last event: stop reading now (a stream lacking `[DONE]` then still finishes promptly). */
  readonly terminal?: boolean;
}

/** A completed non-streamed answer, as a provider reads it off its SDK's response. */
export interface Completion {
  readonly text: string;
  readonly model: string;
  readonly finishReason: string;
  readonly usage: Usage;
  readonly raw: unknown;
}

/** Receives an SDK response's headers; given to `complete`/`open` only when a layer listens. */
export type HeaderListener = (headers: Headers) => void;

/** An SDK call's promise (the `APIPromise` of both SDKs): awaitable, and able to show its raw response. */
export interface SdkPromise<T> extends PromiseLike<T> {
  withResponse(): Promise<{ data: T; response: Response }>;
}

/** An SDK call's result, first handing its response headers to `onHeaders` if there is one (else the call itself, untouched). */
export function withHeaders<T>(call: SdkPromise<T>, onHeaders: HeaderListener | undefined): PromiseLike<T> {
  if (onHeaders === undefined) return call;
  return call.withResponse().then(({ data, response }) => {
    onHeaders(response.headers);
    return data;
  });
}

/**
 * The shared mechanics of one request to a provider: recording the attempt, timeouts and
 * cancellation, classifying errors, and turning a stream cut mid-way into a
 * `StreamInterruptedError`. A provider supplies only the SDK calls and the readers.
 */
export abstract class ProviderLLM extends LLM {
  readonly model: string;
  abstract override readonly provider: Provider;
  readonly #defaults: ProviderDefaults;

  protected constructor(model: string, defaults: ProviderDefaults) {
    super();
    if (typeof model !== 'string' || model.trim() === '') {
      throw new TypeError(`\`model\` must be a non-empty string, got ${JSON.stringify(model)}`);
    }
    this.model = model;
    this.#defaults = checkDefaults(defaults);
  }

  describe(): string {
    return `${this.provider}:${this.model}`;
  }

  /** @internal This provider's default time limits, for `explain()`. */
  override _limits(): TimeoutOptions {
    return this.#defaults;
  }

  /** The SDK's JSON call. */
  protected abstract complete(
    request: LLMRequest,
    signal: AbortSignal | undefined,
    onHeaders?: HeaderListener,
  ): Promise<Completion>;
  /** The SDK's streaming call: resolves once the response has started. */
  protected abstract open(
    request: LLMRequest,
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
    const startedAt = Date.now();
    const timeout = this.#option(request.options, 'timeout');
    // Without a timeout the caller's signal serves as it is: no controller, no timer.
    const attempt = timeout === undefined ? undefined : new AttemptTimers(ctx.signal, this);
    attempt?.arm('timeout', timeout);
    try {
      const done = await this.complete(request, attempt?.signal ?? ctx.signal, this.#headerListener(ctx));
      this.#record(ctx, startedAt, undefined);
      return { ...done, provider: this.provider, attempts: ctx.attempts };
    } catch (raw) {
      const error = this.#failure(raw, ctx, attempt?.signal);
      this.#record(ctx, startedAt, error);
      throw error;
    } finally {
      attempt?.dispose();
    }
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const startedAt = Date.now();
    const { options } = request;
    const attempt = new AttemptTimers(ctx.signal, this);
    const idleTimeout = this.#option(options, 'idleTimeout');
    attempt.arm('timeout', this.#option(options, 'timeout'));
    attempt.arm('firstChunkTimeout', this.#option(options, 'firstChunkTimeout'));
    attempt.arm('idleTimeout', idleTimeout);

    let text = '';
    let finishReason: string | undefined;
    let model = this.model;
    let raw: unknown;
    let inputTokens = 0;
    let outputTokens = 0;
    try {
      const events = await this.open(request, attempt.signal, this.#headerListener(ctx));
      attempt.disarm('timeout'); // the response has started
      for await (const event of events) {
        attempt.arm('idleTimeout', idleTimeout);
        const update = this.read(event);
        if (update === undefined) continue;
        if (update.model) model = update.model;
        if (update.inputTokens !== undefined) inputTokens = update.inputTokens;
        if (update.outputTokens !== undefined) outputTokens = update.outputTokens;
        if (update.finishReason !== undefined) {
          finishReason = update.finishReason;
          raw = event;
        }
        if (update.text) {
          attempt.disarm('firstChunkTimeout');
          text += update.text;
          yield { type: 'text', text: update.text };
        }
        if (update.terminal) break;
      }
      if (finishReason === undefined) {
        throw new StreamInterruptedError('The stream ended without its terminal event', text, {
          provider: this.provider,
          model: this.model,
        });
      }
    } catch (rawError) {
      // A failure after the terminal event (a stalled or cut `[DONE]`) loses nothing: the answer is whole.
      if (finishReason === undefined) {
        const error = this.#failure(rawError, ctx, attempt.signal, text);
        this.#record(ctx, startedAt, error);
        throw error;
      }
    } finally {
      // Also runs when the consumer leaves early: aborting closes the socket.
      attempt.dispose(finishReason === undefined);
    }
    this.#record(ctx, startedAt, undefined);
    const usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
    return { text, model, provider: this.provider, usage, finishReason, raw, attempts: ctx.attempts };
  }

  /** Cancellation wins; then our own stall timers; then the SDK error, classified. After text, any failure is an interruption. */
  #failure(raw: unknown, ctx: CallContext, own: AbortSignal | undefined, partialText = ''): unknown {
    if (ctx.onHeaders) this.#errorHeaders(ctx.onHeaders, raw);
    if (ctx.signal?.aborted) return ctx.signal.reason;
    const error = own?.aborted && own.reason instanceof TimeoutError ? own.reason : this.classify(raw);
    if (partialText === '' || !(error instanceof LLMError) || error instanceof StreamInterruptedError)
      return error;
    return new StreamInterruptedError(
      `The stream was cut after ${partialText.length} characters: ${error.message}`,
      partialText,
      {
        provider: this.provider,
        model: this.model,
        status: error.status,
        requestId: error.requestId,
        retryAfterMs: error.retryAfterMs,
        cause: error,
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
    const attempt: Attempt =
      error === undefined
        ? {
            model: this.model,
            provider: this.provider,
            startedAt,
            durationMs: Date.now() - startedAt,
            outcome: 'success',
          }
        : {
            model: this.model,
            provider: this.provider,
            startedAt,
            durationMs: Date.now() - startedAt,
            outcome: 'error',
            error,
          };
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

/** What every provider takes as defaults for its calls; call options override each. */
export interface ProviderDefaults extends TimeoutOptions {
  readonly system?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
}

function checkDefaults(options: ProviderDefaults): ProviderDefaults {
  const { timeout, firstChunkTimeout, idleTimeout, system, temperature, maxTokens } = options;
  checkDuration('timeout', timeout);
  checkDuration('firstChunkTimeout', firstChunkTimeout);
  checkDuration('idleTimeout', idleTimeout);
  checkNumber('temperature', temperature, 0);
  checkInteger('maxTokens', maxTokens, 1);
  if (system !== undefined && typeof system !== 'string')
    throw new TypeError(`\`system\` must be a string, got ${typeof system}`);
  return Object.freeze({ timeout, firstChunkTimeout, idleTimeout, system, temperature, maxTokens });
}

type TimerName = keyof TimeoutOptions;

/**
 * One attempt's own abort controller and time limits. It follows the call's signal; a limit
 * that passes aborts it with a `TimeoutError` naming the limit. Our own timers (rather than
 * the SDK's `timeout`) make the outcome the same for every SDK and every client a user passes.
 */
class AttemptTimers {
  readonly #controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  readonly #who: { readonly provider: Provider; readonly model: string };
  readonly #timers: Partial<Record<TimerName, Timer>> = {};
  readonly #onParentAbort = (): void => this.#controller.abort(this.#parent?.reason);

  constructor(parent: AbortSignal | undefined, who: { readonly provider: Provider; readonly model: string }) {
    this.#parent = parent;
    this.#who = who;
    if (parent?.aborted) this.#controller.abort(parent.reason);
    else parent?.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** (Re)starts a limit; `undefined` leaves it off. */
  arm(name: TimerName, ms: number | undefined): void {
    if (ms === undefined) return;
    clearTimer(this.#timers[name]);
    this.#timers[name] = setTimer(() => {
      const { provider, model } = this.#who;
      this.#controller.abort(new TimeoutError(`${name} of ${ms} ms passed`, { provider, model }));
    }, ms);
  }

  disarm(name: TimerName): void {
    clearTimer(this.#timers[name]);
    this.#timers[name] = undefined;
  }

  /** Clears every timer and stops following the call's signal; `abort` also cancels the request. */
  dispose(abort = false): void {
    for (const timer of Object.values(this.#timers)) clearTimer(timer);
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
    if (abort && !this.#controller.signal.aborted) this.#controller.abort();
  }
}
