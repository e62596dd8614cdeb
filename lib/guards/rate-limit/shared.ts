/**
 * A limiter's reservation in a shared store: one atomic reservation there (by the store's clock),
 * then a local sleep of the wait it gave, checked again after it (provider pacing in any process
 * may have moved the start later). A store that cannot answer hands the call to the limiter's
 * local log (`'fail-open'`) or refuses it (`'fail-closed'`, through the link).
 */
import type { CallContext } from '../../context.js';
import type { RateLimitedError } from '../../errors/classes.js';
import { sleep } from '../../sleep.js';
import { checkNumber } from '../../validate.js';
import { LOCAL, type Local, type StoreCaller, type StoreLink } from '../store/link.js';
import type { SharedWindow } from '../store/types.js';
import type { RateLimitTicket } from './limiter.js';

/** One shared reservation: what to reserve, under which bounds, and the limiter's own parts. */
export interface SharedReserve {
  readonly link: StoreLink;
  readonly shared: SharedWindow;
  /** Unique across processes: the reservation's member in the store. */
  readonly id: string;
  /** The tokens the call counts for (0 without a token limit). */
  readonly tokens: number;
  readonly tokenLimited: boolean;
  readonly maxWait: number;
  readonly signal: AbortSignal | undefined;
  readonly ctx: CallContext | undefined;
  readonly who: StoreCaller | undefined;
  readonly report: ((waitMs: number, rejected: boolean) => void) | undefined;
  readonly now: () => number;
  /** The limiter's refusal for a call that would wait `waitMs`. */
  refuse(waitMs: number): RateLimitedError;
  /** The limiter's local reservation (fail-open). */
  local(): Promise<RateLimitTicket>;
}

export async function reserveShared(r: SharedReserve): Promise<RateLimitTicket> {
  const { link, shared, id, signal, ctx, who, report } = r;
  if (signal?.aborted) throw signal.reason;
  const start = r.now();
  const giveBack = (): void => link.send(() => shared.remove(id), ctx);
  const answer = await link.call(
    () => shared.reserve(id, r.tokens, r.maxWait),
    ctx,
    who,
    (late) => {
      if (late.reserved) giveBack(); // the caller left while the store answered
    },
  );
  if (answer === LOCAL) return r.local();
  if (!answer.reserved) {
    report?.(answer.waitMs, true);
    throw r.refuse(answer.waitMs);
  }
  if (answer.waitMs > 0) {
    report?.(answer.waitMs, false);
    const giveUpAt = start + r.maxWait;
    for (let left: number | undefined | Local = answer.waitMs; typeof left === 'number' && left > 0;) {
      if (r.now() + left > giveUpAt) {
        giveBack();
        report?.(left, true);
        throw r.refuse(left);
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
  const waitedMs = r.now() - start;
  if (!r.tokenLimited) return { waitedMs, reconcile: checkTokens };
  return {
    waitedMs,
    reconcile(tokens: number): void {
      checkTokens(tokens);
      link.send(() => shared.adjust(id, tokens), ctx);
    },
  };
}

function checkTokens(tokens: number): void {
  checkNumber('tokens', tokens, 0);
}
