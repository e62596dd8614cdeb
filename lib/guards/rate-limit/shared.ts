/**
 * A limiter's shared-store dispatch: every limiter of the same `name` on one store, in any
 * process, draws on one window. A reservation is one atomic step there (by the store's clock),
 * then a local sleep of the wait it gave, checked again after it (provider pacing in any process
 * may have moved the start later). A store that cannot answer hands the call to the limiter's
 * local window (`'fail-open'`) or refuses it (`'fail-closed'`, through the link).
 */
import { randomUUID } from 'node:crypto';
import { sleep } from '../../sleep.js';
import { checkNumber } from '../../validate.js';
import { LOCAL, type Local, StoreLink } from '../store/link.js';
import type { SharedWindow, SharedWindowUsage, StateStore } from '../store/types.js';
import type { LimiterEvents } from './events.js';
import type { ResolvedRateLimiterOptions } from './options.js';
import type { Admission, RateLimitTicket, Refuse } from './types.js';

/** @internal What a shared window is made from: the limiter's parts. */
export interface SharedLimiterParts {
  readonly store: StateStore;
  readonly name: string;
  readonly options: ResolvedRateLimiterOptions;
  readonly events: LimiterEvents;
  readonly refuse: Refuse;
}

/** @internal One limiter's link to its shared window. */
export class SharedLimiter {
  readonly link: StoreLink;
  readonly #shared: SharedWindow;
  readonly #now: () => number;
  readonly #tokenLimited: boolean;
  readonly #refuse: Refuse;
  readonly #idPrefix = `${randomUUID().slice(0, 13)}:`;
  #ids = 0;

  constructor({ store, name, options, events, refuse }: SharedLimiterParts) {
    const { windowMs, requestsPerMinute, tokensPerMinute } = options;
    this.#shared = store.window(name, {
      windowMs,
      maxRequests: requestsPerMinute,
      maxTokens: tokensPerMinute,
    });
    this.link = new StoreLink(store, {
      name,
      kind: 'rate_limiter',
      policy: options.onStoreError,
      notify: (change) => events.tell('storeStatus', change),
    });
    this.#now = options.now;
    this.#tokenLimited = tokensPerMinute !== undefined;
    this.#refuse = refuse;
  }

  /** How long a call of `tokens` (counted) would wait in the shared window; `LOCAL` when failing open. */
  check(tokens: number): Promise<number | Local> {
    const shared = this.#shared;
    return this.link.call(() => shared.check(tokens), undefined, undefined);
  }

  /** Tells every process to hold its calls for `ms` (sent without waiting). */
  hold(ms: number): void {
    const shared = this.#shared;
    this.link.send(() => shared.hold(ms), undefined);
  }

  /** What the shared window holds now; `LOCAL` when the store cannot answer. */
  usage(): Promise<SharedWindowUsage | Local> {
    const shared = this.#shared;
    return this.link.call(() => shared.usage(), undefined, undefined).catch((): Local => LOCAL);
  }

  /** Reserves a slot for `a` in the shared window and sleeps for its turn; `local` when failing open. */
  async reserve(
    a: Admission,
    local: () => RateLimitTicket | Promise<RateLimitTicket>,
  ): Promise<RateLimitTicket> {
    const { link } = this;
    const shared = this.#shared;
    const { signal, ctx, who, report } = a;
    const id = `${this.#idPrefix}${++this.#ids}`;
    if (signal?.aborted) throw signal.reason;
    const start = this.#now();
    const giveBack = (): void => link.send(() => shared.remove(id), ctx);
    const answer = await link.call(
      () => shared.reserve(id, a.tokens, a.maxWait),
      ctx,
      who,
      (late) => {
        if (late.reserved) giveBack(); // the caller left while the store answered
      },
    );
    if (answer === LOCAL) return local();
    if (!answer.reserved) {
      report?.(answer.waitMs, true);
      throw this.#refuse(answer.waitMs, a.tokens, a);
    }
    if (answer.waitMs > 0) {
      report?.(answer.waitMs, false);
      const giveUpAt = start + a.maxWait;
      for (let left: number | undefined | Local = answer.waitMs; typeof left === 'number' && left > 0;) {
        if (this.#now() + left > giveUpAt) {
          giveBack();
          report?.(left, true);
          throw this.#refuse(left, a.tokens, a);
        }
        try {
          await sleep(left, signal);
          left = await link.call(() => shared.waitLeft(id), ctx, who);
        } catch (error) {
          giveBack();
          throw error;
        }
      }
    }
    const waitedMs = this.#now() - start;
    if (!this.#tokenLimited) return { waitedMs, reconcile: checkTokens };
    return {
      waitedMs,
      reconcile(tokens: number): void {
        checkTokens(tokens);
        link.send(() => shared.adjust(id, tokens), ctx);
      },
    };
  }
}

function checkTokens(tokens: number): void {
  checkNumber('tokens', tokens, 0);
}
