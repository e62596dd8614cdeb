import type { CallContext } from '../context.js';
import type { LLM } from '../llm.js';
import { LayerMiddleware, ATTACH, type Outcome } from '../middleware/run.js';
import type { ExplainNode, LLMMiddleware, LLMRequest } from '../middleware/types.js';
import { describeValue } from '../validate.js';
import { Telemetry } from './metrics.js';
import type { CallRecorder } from './recorder.js';

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
export class TelemetryMiddleware extends LayerMiddleware<CallRecorder | undefined> implements LLMMiddleware {
  readonly name = 'telemetry';
  readonly telemetry: Telemetry;

  constructor(recorder: Telemetry) {
    super();
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

  /** @internal Starts recording; undefined when this telemetry already records the call (attached twice). */
  _enter(request: LLMRequest, ctx: CallContext, inner: LLM): CallRecorder | undefined {
    return this.telemetry._begin(inner, request, ctx);
  }

  /** @internal The layers inside report their events on the call's own bus. */
  _callFor(call: CallRecorder | undefined, ctx: CallContext): CallContext {
    return call ? ctx.withBus(call.bus) : ctx;
  }

  /** @internal Records how the call ended. */
  _settle(call: CallRecorder | undefined, outcome: Outcome): void {
    if (!call) return;
    if (outcome.type === 'success') call.succeed(outcome.reply);
    else if (outcome.type === 'failure') call.fail(outcome.error);
    else call.cancel(outcome.error);
  }
}
