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
  /** Aborts when the call does, or when the leg loses the race. */
  readonly signal: AbortSignal;
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
}

const LOST = new WeakSet<object>();

/** The abort reason of a leg that lost: a `DOMException` named `AbortError`. */
function lostReason(): DOMException {
  const reason = new DOMException(
    'Another route member answered first: this request was cancelled',
    'AbortError',
  );
  LOST.add(reason);
  return reason;
}

/** Whether `reason` is the abort reason of a leg that lost a race (or was cut when the call ended). */
export function isLostLeg(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && LOST.has(reason);
}

interface Running {
  readonly leg: Leg;
  readonly controller: AbortController;
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

    const finish = (): Promise<unknown>[] => {
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const cut = [...inFlight];
      inFlight.clear();
      for (const run of cut) {
        run.controller.abort(signal?.aborted ? signal.reason : lostReason());
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
      const controller = new AbortController();
      const follow = (): void => controller.abort(signal!.reason);
      signal?.addEventListener('abort', follow, { once: true });
      const leg: Leg = {
        member,
        kind,
        signal: controller.signal,
        release: () => signal?.removeEventListener('abort', follow),
      };
      const run: Running = { leg, controller };
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
      armHedge(member);
    };

    const armHedge = (member: number): void => {
      clearTimeout(timer);
      timer = undefined;
      if (hedges >= plan.maxExtra || next >= plan.hedgeable) return;
      const after = plan.hedgeAfter(member);
      if (after === undefined) return;
      timer = setTimeout(() => {
        if (done || next >= plan.hedgeable) return;
        hedges++;
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
      const losers = finish();
      resolve({ value, leg: run.leg, hedges, losers });
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
