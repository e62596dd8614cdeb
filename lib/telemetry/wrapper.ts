import type { CallContext } from '../context.js';
import { describeValue, type LLM, type LLMRequest, WrapperLLM } from '../llm.js';
import type { Reply, StreamChunk } from '../types.js';
import { Telemetry } from './metrics.js';
import type { CallRecorder } from './recorder.js';

/**
 * `withTelemetry`'s wrapper: records each call through it in a {@link Telemetry} — its
 * outcome and latency here, and every event of the layers inside it (attempts, retries,
 * fallbacks, cache, breakers, limiters) through a bus of the call's own — and, if the
 * telemetry traces, its spans. It changes nothing else: `describe()` is its inner LLM's.
 */
export class TelemetryLLM extends WrapperLLM {
  readonly telemetry: Telemetry;

  constructor(inner: LLM, telemetry: Telemetry) {
    super(inner);
    if (!(telemetry instanceof Telemetry))
      throw new TypeError(`\`withTelemetry\` takes a Telemetry, got ${describeValue(telemetry)}`);
    this.telemetry = telemetry;
    telemetry._watch(inner);
    Object.freeze(this);
  }

  describe(): string {
    return this.inner.describe();
  }

  async _ask(request: LLMRequest, ctx: CallContext): Promise<Reply> {
    const call = this.telemetry._begin(this, request, ctx);
    if (!call) return this.inner._ask(request, ctx);
    let reply: Reply;
    try {
      reply = await this.inner._ask(request, withBus(ctx, call));
    } catch (error) {
      call.fail(error, ctx);
      throw error;
    }
    call.succeed(reply);
    return reply;
  }

  async *_stream(request: LLMRequest, ctx: CallContext): AsyncGenerator<StreamChunk, Reply, undefined> {
    const call = this.telemetry._begin(this, request, ctx);
    if (!call) return yield* this.inner._stream(request, ctx);
    let settled = false;
    try {
      const reply = yield* this.inner._stream(request, withBus(ctx, call));
      settled = true;
      call.succeed(reply);
      return reply;
    } catch (error) {
      if (!settled) call.fail(error, ctx);
      settled = true;
      throw error;
    } finally {
      if (!settled) call.cancel(); // the consumer left before the end
    }
  }
}

function withBus(ctx: CallContext, call: CallRecorder): CallContext {
  return { ...ctx, buses: [...ctx.buses, call.bus] };
}
