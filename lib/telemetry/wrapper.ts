import type { CallContext } from '../context.js';
import type { LLM } from '../llm.js';
import { ATTACH, BUILT_IN, type Outcome, settleAsk, settleStream } from '../middleware/run.js';
import type { ExplainNode, LLMMiddleware, LLMRequest } from '../middleware/types.js';
import type { Reply, StreamChunk } from '../types.js';
import { describeValue } from '../validate.js';
import { Telemetry } from './metrics.js';
import type { CallRecorder } from './recorder.js';

type Next<T> = (request: LLMRequest, ctx?: CallContext) => T;

/**
 * `telemetry(t)`, the middleware `withTelemetry` adds: records each call through it in a
 * {@link Telemetry} — its outcome and latency here, and every event of the layers inside it
 * (attempts, retries, fallbacks, cache, breakers, limiters) through a bus of the call's own —
 * and, if the telemetry traces, its spans. It changes nothing else: `describe()` is its inner
 * LLM's. Attaching it finds the guards the chain declares.
 *
 * @example
 * const t = new Telemetry(); const observed = llm.use(telemetry(t)); // = llm.withTelemetry(t)
 */
export function telemetry(recorder: Telemetry): TelemetryMiddleware {
  return new TelemetryMiddleware(recorder);
}

/** The middleware `telemetry()` makes. */
export class TelemetryMiddleware implements LLMMiddleware {
  readonly name = 'telemetry';
  readonly telemetry: Telemetry;
  /** @internal */
  readonly [BUILT_IN] = true;

  constructor(recorder: Telemetry) {
    if (!(recorder instanceof Telemetry))
      throw new TypeError(`\`withTelemetry\` takes a Telemetry, got ${describeValue(recorder)}`);
    this.telemetry = recorder;
    Object.freeze(this);
  }

  describe(inner: string): string {
    return inner;
  }

  explain(inner: ExplainNode) {
    return { ...inner, children: [inner] };
  }

  /** @internal */
  [ATTACH](inner: LLM): void {
    this.telemetry._watch(inner);
  }

  wrapAsk(request: LLMRequest, next: Next<Promise<Reply>>, ctx: CallContext, inner: LLM): Promise<Reply> {
    const call = this.telemetry._begin(inner, request, ctx);
    if (!call) return next(request);
    return settleAsk(next(request, ctx.withBus(call.bus)), ctx, (outcome) => record(call, outcome));
  }

  wrapStream(
    request: LLMRequest,
    next: Next<AsyncGenerator<StreamChunk, Reply, undefined>>,
    ctx: CallContext,
    inner: LLM,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    return this.#stream(request, next, ctx, inner);
  }

  async *#stream(
    request: LLMRequest,
    next: Next<AsyncGenerator<StreamChunk, Reply, undefined>>,
    ctx: CallContext,
    inner: LLM,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    const call = this.telemetry._begin(inner, request, ctx);
    if (!call) return yield* next(request);
    return yield* settleStream(next(request, ctx.withBus(call.bus)), ctx, (outcome) => record(call, outcome));
  }
}

function record(call: CallRecorder, outcome: Outcome): void {
  if (outcome.type === 'success') call.succeed(outcome.reply);
  else if (outcome.type === 'failure') call.fail(outcome.error);
  else call.cancel(outcome.error);
}
