/**
 * The hedging race of one routed call: starts the members in order — the next one when the
 * last fails (failover) or when the waiting one is slow (a hedge) — and settles with the first
 * to answer, aborting the others at once.
 */

/** Why a leg started: the call's first pick, a failover after a failure, or a hedge. */
export type LegKind = 'first' | 'fallback' | 'hedge';

/** One request of a routed call. */
export interface Leg {
  /** Index of the member it goes to. */
  readonly member: number;
  readonly kind: LegKind;
  /**
   * Aborts when the call does, or when the leg loses the race. Without hedging no leg can lose a
   * race (one runs at a time), so a leg has the call's own signal (none if the call has none): no
   * controller for the SDK and the HTTP client to listen to.
   */
  readonly signal: AbortSignal | undefined;
  /** Stops following the call's signal; call it once the leg is over. */
  release(): void;
}

/** What a member's failure means: try the next member, skip it without a callback check, or end the call with it. */
export type Verdict = 'next' | 'skip' | 'stop';

/** Everything the race asks of the route. */
export interface RacePlan<T> {
  /** The members, in the order they are tried. */
  readonly order: readonly number[];
  /** The call's signal (caller's abort and deadline). */
  readonly signal: AbortSignal | undefined;
  /** Hedges one call may start; 0 turns hedging off. */
  readonly maxExtra: number;
  /** Only the first `hedgeable` of `order` may be started as hedges (the rest would refuse at once). */
  readonly hedgeable: number;
  /** How long to wait for `member` before hedging, in ms from its start; `undefined`: do not hedge it. */
  hedgeAfter(member: number): number | undefined;
  /** Starts one leg: settles with its answer (`ask`) or its opened stream (`stream`). */
  start(leg: Leg): Promise<T>;
  verdict(error: unknown): Verdict;
  /** Before failing over from `from` to `to` (events, `onFallback`); rejecting ends the call. */
  beforeNext(error: unknown, from: number, to: number): Promise<void>;
  /** A hedge is due: whether the hedge budget lets it start (if so, it is spent); denied, none starts. */
  admitHedge(): boolean;
  /** A hedge starts: `to` because `from` has not answered in `afterMs`. */
  hedged(from: number, to: number, afterMs: number): void;
  /** A leg that answered after another had won: release what it holds. */
  discard(value: T, leg: Leg): void;
  /** Every member failed: the error to throw (a `FallbackError` of `errors`). */
  exhausted(errors: readonly unknown[]): unknown;
}

/** The winner of a race. */
export interface RaceWin<T> {
  readonly value: T;
  readonly leg: Leg;
  /** Hedges started during the call. */
  readonly hedges: number;
  /** The legs aborted when it won, settling (promptly, on abort). */
  readonly losers: readonly Promise<unknown>[];
  /** How many members of `order` were started (the others were not tried). */
  readonly started: number;
  /** What the members that failed before it threw, in order. */
  readonly errors: readonly unknown[];
}

/**
 * How a cut leg lost: `overtaken` by a leg started after it — a hedge it had not answered before
 * (`after` ms from its start) — or `cut` otherwise (nothing is known of its speed).
 */
export type Loss = { readonly type: 'overtaken'; readonly after: number } | { readonly type: 'cut' };

const CUT: Loss = Object.freeze({ type: 'cut' });
const NOTHING = (): void => {};
const LOST = new WeakMap<object, Loss>();

/** The abort reason of a leg that lost: a `DOMException` named `AbortError`. */
function lostReason(loss: Loss): DOMException {
  const reason = new DOMException(
    'Another route member answered first: this request was cancelled',
    'AbortError',
  );
  LOST.set(reason, loss);
  return reason;
}

/** How a leg aborted with `reason` lost the race, or `undefined` if the reason is not a lost race's. */
export function lossOf(reason: unknown): Loss | undefined {
  return typeof reason === 'object' && reason !== null ? LOST.get(reason) : undefined;
}

interface Running {
  /** Its place in the order legs started. */
  readonly started: number;
  /** Set when it was hedged: how long it had been waited for. */
  hedgedAfter?: number;
  readonly leg: Leg;
  /** Absent without hedging (see `Leg.signal`). */
  readonly controller: AbortController | undefined;
  promise?: Promise<unknown>;
}

/** Runs the race of `plan`; rejects with the call's abort reason, a stopping error, or `exhausted(errors)`. */
export function race<T>(plan: RacePlan<T>): Promise<RaceWin<T>> {
  const { order, signal } = plan;
  return new Promise<RaceWin<T>>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const inFlight = new Set<Running>();
    const errors: unknown[] = [];
    let next = 0;
    let hedges = 0;
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    /** Ends the race; cuts the legs still running (those started before `winner` were overtaken by it). */
    const finish = (winner?: Running): Promise<unknown>[] => {
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const cut = [...inFlight];
      inFlight.clear();
      for (const run of cut) {
        const after = winner !== undefined && run.started < winner.started ? run.hedgedAfter : undefined;
        const loss: Loss = after === undefined ? CUT : { type: 'overtaken', after };
        run.controller?.abort(signal?.aborted ? signal.reason : lostReason(loss));
        run.leg.release();
      }
      return cut.map((run) => run.promise!);
    };
    const onAbort = (): void => {
      finish();
      reject(signal!.reason);
    };

    const launch = (kind: LegKind): void => {
      const member = order[next++]!;
      let leg: Leg;
      let controller: AbortController | undefined;
      if (plan.maxExtra === 0) {
        leg = { member, kind, signal, release: NOTHING };
      } else {
        const own = new AbortController();
        const follow = (): void => own.abort(signal!.reason);
        signal?.addEventListener('abort', follow, { once: true });
        leg = {
          member,
          kind,
          signal: own.signal,
          release: () => signal?.removeEventListener('abort', follow),
        };
        controller = own;
      }
      const run: Running = { started: next - 1, leg, controller };
      inFlight.add(run);
      let started: Promise<T>;
      try {
        started = plan.start(leg);
      } catch (error) {
        started = Promise.reject(error);
      }
      run.promise = started.then(
        (value) => won(run, value),
        (error: unknown) => failed(run, error),
      );
      armHedge(run);
    };

    const armHedge = (run: Running): void => {
      const { member } = run.leg;
      clearTimeout(timer);
      timer = undefined;
      if (hedges >= plan.maxExtra || next >= plan.hedgeable) return;
      const after = plan.hedgeAfter(member);
      if (after === undefined) return;
      timer = setTimeout(() => {
        if (done || next >= plan.hedgeable || !plan.admitHedge()) return;
        hedges++;
        run.hedgedAfter = after;
        plan.hedged(member, order[next]!, after);
        launch('hedge');
      }, after);
    };

    const won = (run: Running, value: T): void => {
      if (done) {
        run.leg.release();
        plan.discard(value, run.leg);
        return;
      }
      inFlight.delete(run);
      const losers = finish(run);
      resolve({ value, leg: run.leg, hedges, losers, started: next, errors });
    };

    const failed = (run: Running, error: unknown): void => {
      run.leg.release();
      if (done) return;
      inFlight.delete(run);
      if (signal?.aborted) return onAbort();
      let verdict: Verdict;
      try {
        verdict = plan.verdict(error); // a user's fallbackCondition may throw: that ends the call
      } catch (thrown) {
        finish();
        return reject(thrown);
      }
      errors.push(error);
      if (verdict === 'stop') {
        finish();
        return reject(error);
      }
      if (inFlight.size > 0) return; // a leg still running may answer
      if (next >= order.length) {
        finish();
        return reject(plan.exhausted(errors));
      }
      clearTimeout(timer);
      plan.beforeNext(error, run.leg.member, order[next]!).then(
        () => {
          if (!done) launch('fallback');
        },
        (stop: unknown) => {
          if (done) return;
          finish();
          reject(stop);
        },
      );
    };

    signal?.addEventListener('abort', onAbort, { once: true });
    launch('first');
  });
}
