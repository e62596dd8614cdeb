import type { CallContext } from '../context.js';
import type { EventBus } from '../telemetry/events.js';
import { describeValue } from '../validate.js';
import { LayerMiddleware, type Outcome } from './run.js';
import type { ExplainNode, LLMMiddleware, LLMRequest } from './types.js';

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
export class EventsMiddleware extends LayerMiddleware<CallContext> implements LLMMiddleware {
  readonly name = 'events';
  readonly bus: EventBus;

  constructor(bus: EventBus) {
    super();
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

  /** @internal The call with this bus on it, for the layers inside and for the outcome. */
  _enter(_request: LLMRequest, ctx: CallContext): CallContext {
    return ctx.withBus(this.bus);
  }

  /** @internal */
  _callFor(withBus: CallContext): CallContext {
    return withBus;
  }

  /** @internal A consumer leaving a stream early is neither; every error (an abort too) is a `failure`. */
  _settle(withBus: CallContext, outcome: Outcome): void {
    if (outcome.type === 'success') withBus.emit('success', { reply: outcome.reply });
    else if (outcome.error !== undefined || outcome.type === 'failure')
      withBus.emit('failure', { error: outcome.error, attempts: withBus.attempts });
  }
}
