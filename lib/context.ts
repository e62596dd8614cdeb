import { isLLM } from './brand.js';
import { TimeoutError } from './errors/classes.js';
import { setTimer } from './sleep.js';
import type { LLM } from './llm.js';
import type { CallInfo, LLMRequest, ViaLLM, ViaOptions } from './middleware/types.js';
import type { EventBus, LLMEvents } from './telemetry/events.js';
import type { Attempt, Provider } from './types.js';
import { checkOptionKeys, describeValue, optionNames } from './validate.js';

const VIA_KEYS = optionNames<ViaOptions>({ signal: true });

/** Receives a provider's response headers (a rate limiter pacing itself on `x-ratelimit-*`). */
export type HeadersListener = (provider: Provider, headers: Headers) => void;

/** The parts of a {@link CallContext}. */
export interface CallParts {
  readonly signal: AbortSignal | undefined;
  readonly deadlineAt: number | undefined;
  readonly attempts: Attempt[];
  readonly buses: readonly EventBus[];
  readonly onHeaders?: HeadersListener | undefined;
}

/**
 * One call in flight, as every layer sees it: the public {@link CallInfo} (signal, deadline,
 * history, `emit`, `via`) plus what only the package's own layers touch: the buses and the
 * header listener, which a layer extends for the layers inside it with `withBus` / `withHeaders`.
 */
export class CallContext implements CallInfo {
  /** Aborts when the caller aborts (reason: theirs) or the deadline passes (reason: a `TimeoutError`). */
  readonly signal: AbortSignal | undefined;
  /** When the deadline passes, on the `performance.now()` clock. */
  readonly deadlineAt: number | undefined;
  /** Every request of the call so far, in order; appended to by providers. */
  readonly attempts: Attempt[];
  readonly buses: readonly EventBus[];
  /**
   * Set only when a layer wants the providers' response headers; a provider then reads them,
   * for answers and errors alike. Absent, nothing is read.
   */
  readonly onHeaders: HeadersListener | undefined;

  /** Takes its parts from a record or from another call (then `buses` / `onHeaders` override theirs). */
  constructor(parts: CallParts, buses = parts.buses, onHeaders = parts.onHeaders) {
    this.signal = parts.signal;
    this.deadlineAt = parts.deadlineAt;
    this.attempts = parts.attempts;
    this.buses = buses;
    this.onHeaders = onHeaders;
  }

  emit<K extends keyof LLMEvents>(type: K, payload: LLMEvents[K]): void {
    emit(this, type, payload);
  }

  via(llm: LLM, options?: ViaOptions): ViaLLM {
    if (!isLLM(llm)) throw new TypeError(`\`call.via\` takes an LLM, got ${describeValue(llm)}`);
    if (options !== undefined) checkOptionKeys('`call.via` options', options, VIA_KEYS);
    const branch = options?.signal === undefined ? this : this.#branch(options.signal);
    return {
      ask: (request) => llm._ask(checkRequest(request), branch),
      stream: (request) => llm._stream(checkRequest(request), branch),
    };
  }

  /** This call with one more event bus, for the layers inside. */
  withBus(bus: EventBus): CallContext {
    return new CallContext(this, [...this.buses, bus]);
  }

  /** This call with `listener` receiving provider headers too (after any outer listener). */
  withHeaders(listener: HeadersListener): CallContext {
    const outer = this.onHeaders;
    const onHeaders: HeadersListener = outer
      ? (provider, headers) => {
          outer(provider, headers);
          listener(provider, headers);
        }
      : listener;
    return new CallContext(this, this.buses, onHeaders);
  }

  #branch(signal: AbortSignal): CallContext {
    if (!(signal instanceof AbortSignal))
      throw new TypeError(`\`signal\` must be an AbortSignal, got ${describeValue(signal)}`);
    const combined = this.signal === undefined ? signal : AbortSignal.any([this.signal, signal]);
    const { deadlineAt, attempts, buses, onHeaders } = this;
    return new CallContext({ signal: combined, deadlineAt, attempts, buses, onHeaders });
  }
}

/** A request a layer built: checked and frozen before it goes on (the incoming one is already). */
export function checkRequest(request: LLMRequest): LLMRequest {
  if (typeof request !== 'object' || request === null)
    throw new TypeError(`a request must be an object, got ${describeValue(request)}`);
  if (Object.isFrozen(request)) return request;
  const { messages, options } = request;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new TypeError(`\`request.messages\` must be a non-empty Message[], got ${describeValue(messages)}`);
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`\`request.options\` must be an object, got ${describeValue(options)}`);
  return Object.freeze({
    messages: Object.isFrozen(messages) ? messages : Object.freeze([...messages]),
    options: Object.isFrozen(options) ? options : Object.freeze({ ...options }),
  });
}

/** An open call: its context and what to release when it ends. */
export interface OpenCall {
  readonly ctx: CallContext;
  close(): void;
}

const NO_BUSES: readonly EventBus[] = [];

/**
 * Starts a call: combines the caller's signal with a `deadline` timer (on the monotonic clock),
 * which `close()` clears. Call it only after the options are checked: nothing may be left armed.
 */
export function openCall(signal: AbortSignal | undefined, deadline: number | undefined): OpenCall {
  if (deadline === undefined) {
    return {
      ctx: new CallContext({ signal, deadlineAt: undefined, attempts: [], buses: NO_BUSES }),
      close: noop,
    };
  }
  const controller = new AbortController();
  const attempts: Attempt[] = [];
  const deadlineAt = performance.now() + deadline;
  const onAbort = (): void => controller.abort(signal?.reason);
  const timer = setTimer(() => {
    const last = attempts[attempts.length - 1];
    controller.abort(
      new TimeoutError(
        `The call's deadline of ${deadline} ms passed`,
        last?.error === undefined ? {} : { cause: last.error },
      ),
    );
  }, deadline);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  const close = (): void => {
    timer.clear();
    signal?.removeEventListener('abort', onAbort);
  };
  return {
    ctx: new CallContext({ signal: controller.signal, deadlineAt, attempts, buses: NO_BUSES }),
    close,
  };
}

/** Emits on every bus of the call; costs one length check when there are none. */
export function emit<K extends keyof LLMEvents>(ctx: CallContext, type: K, payload: LLMEvents[K]): void {
  for (const bus of ctx.buses) emitOn(ctx, bus, type, payload);
}

type Handler = (...args: unknown[]) => unknown;

/**
 * Calls the bus's listeners one by one, so that neither a throw nor an async listener's
 * rejection can change the call's outcome or go unhandled. A throw is warned about on the
 * console; a rejection is reported as a `callbackError` event (a failing `callbackError`
 * listener's, on the console).
 */
function emitOn<K extends keyof LLMEvents>(
  ctx: CallContext,
  bus: EventBus,
  type: K,
  payload: LLMEvents[K],
): void {
  const all = (bus as { all?: Map<unknown, Handler[] | undefined> }).all;
  if (!(all instanceof Map)) {
    try {
      bus.emit(type, payload);
    } catch (error) {
      warnListener(type, error);
    }
    return;
  }
  const typed = all.get(type);
  if (typed) for (const handler of typed.slice()) callListener(ctx, type, handler, [payload]);
  const wildcard = all.get('*');
  if (wildcard) for (const handler of wildcard.slice()) callListener(ctx, type, handler, [type, payload]);
}

function callListener(ctx: CallContext, type: keyof LLMEvents, handler: Handler, args: unknown[]): void {
  try {
    const result = handler(...args);
    if (isThenable(result)) result.then(undefined, (error: unknown) => rejectedListener(ctx, type, error));
  } catch (error) {
    warnListener(type, error);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function rejectedListener(ctx: CallContext, type: keyof LLMEvents, error: unknown): void {
  if (type === 'callbackError') warnListener(type, error);
  else emit(ctx, 'callbackError', { callback: `${String(type)} listener`, error });
}

function warnListener(type: keyof LLMEvents, error: unknown): void {
  // A listener that throws must never change the call's outcome.
  console.warn(`llm-resilience: a '${String(type)}' event listener threw; the call goes on.`, error);
}

/** Runs a user callback; a throw or rejection is reported and never changes the outcome. */
export async function runCallback(ctx: CallContext, name: string, callback: () => unknown): Promise<void> {
  try {
    await callback();
  } catch (error) {
    if (ctx.buses.length > 0) emit(ctx, 'callbackError', { callback: name, error });
    else console.warn(`llm-resilience: ${name} callback threw; the call goes on.`, error);
  }
}

/** Throws the reason if the call was aborted (by the caller or the deadline). */
export function throwIfAborted(ctx: CallInfo): void {
  if (ctx.signal?.aborted) throw ctx.signal.reason;
}

/** Milliseconds left before the deadline (`Infinity` without one). */
export function timeLeft(ctx: CallInfo): number {
  return ctx.deadlineAt === undefined ? Infinity : ctx.deadlineAt - performance.now();
}

function noop(): void {}
