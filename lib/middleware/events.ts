import type { CallContext } from '../context.js';
import type { EventBus } from '../telemetry/events.js';
import type { Reply, StreamChunk } from '../types.js';
import { describeValue } from '../validate.js';
import { BUILT_IN, type Outcome, settleAsk, settleStream } from './run.js';
import type { ExplainNode, LLMMiddleware, LLMRequest } from './types.js';

type Next<T> = (request: LLMRequest, ctx?: CallContext) => T;

/**
 * `events(bus)`, the middleware `withEvents` adds: puts `bus` on the call for every layer
 * inside it, and reports the call's outcome there (`success`, or `failure` — an abort too).
 *
 * @example
 * const bus = createEventBus(); bus.on('retry', (e) => log.warn(e));
 * const observed = llm.withRetry(3).use(events(bus)); // = .withEvents(bus)
 */
export function events(bus: EventBus): EventsMiddleware {
  return new EventsMiddleware(bus);
}

/** The middleware `events()` makes. */
export class EventsMiddleware implements LLMMiddleware {
  readonly name = 'events';
  readonly bus: EventBus;
  /** @internal */
  readonly [BUILT_IN] = true;

  constructor(bus: EventBus) {
    if (typeof bus?.emit !== 'function')
      throw new TypeError(`\`bus\` must be an event bus (createEventBus()), got ${describeValue(bus)}`);
    this.bus = bus;
    Object.freeze(this);
  }

  describe(inner: string): string {
    return inner;
  }

  explain(inner: ExplainNode) {
    return { ...inner, children: [inner] };
  }

  wrapAsk(request: LLMRequest, next: Next<Promise<Reply>>, ctx: CallContext): Promise<Reply> {
    const inner = ctx.withBus(this.bus);
    return settleAsk(next(request, inner), ctx, (outcome) => report(inner, outcome));
  }

  wrapStream(
    request: LLMRequest,
    next: Next<AsyncGenerator<StreamChunk, Reply, undefined>>,
    ctx: CallContext,
  ): AsyncGenerator<StreamChunk, Reply, undefined> {
    const inner = ctx.withBus(this.bus);
    return settleStream(next(request, inner), ctx, (outcome) => report(inner, outcome));
  }
}

/** A consumer leaving a stream early is neither; every error (an abort too) is a `failure`. */
function report(ctx: CallContext, outcome: Outcome): void {
  if (outcome.type === 'success') ctx.emit('success', { reply: outcome.reply });
  else if (outcome.error !== undefined || outcome.type === 'failure')
    ctx.emit('failure', { error: outcome.error, attempts: ctx.attempts });
}
