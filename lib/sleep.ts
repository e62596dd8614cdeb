/**
 * The longest delay Node's timers honour: 2³¹−1 ms (about 24.8 days). A longer one is clamped to
 * 1 ms with a `TimeoutOverflowWarning`, so every timer of the library goes through {@link setTimer}.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending {@link setTimer}: `clear()` cancels it (and is harmless after it fired). */
export interface Timer {
  clear(): void;
}

const NEVER: Timer = Object.freeze({ clear() {} });

/**
 * Calls `callback` after `ms`, however long: past {@link MAX_TIMER_MS} it chains timers of at most
 * that length (counting what is left, not reading a clock, so fake timers drive it too), and
 * `Infinity` arms nothing at all. No wait is ever cut short by Node's clamp.
 *
 * @example
 * const timer = setTimer(() => controller.abort(), 30 * 24 * 3600_000); // 30 days, honoured
 * timer.clear();
 */
export function setTimer(callback: () => void, ms: number): Timer {
  if (ms === Infinity) return NEVER;
  let left = ms;
  let handle: ReturnType<typeof setTimeout>;
  const arm = (): void => {
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    handle = setTimeout(left > 0 ? arm : callback, step);
  };
  arm();
  return { clear: () => clearTimeout(handle) };
}

/** Cancels a timer from {@link setTimer}, if any. */
export function clearTimer(timer: Timer | undefined): void {
  timer?.clear();
}

/**
 * Waits `ms` (however long, see {@link setTimer}), or rejects with `signal.reason` as soon as the signal aborts. The timer never
 * outlives the wait.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0 && !signal) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      timer.clear();
      reject(signal?.reason);
    };
    const timer = setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles as `promise` does, or rejects with `signal.reason` as soon as the signal aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
