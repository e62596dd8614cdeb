/**
 * How delays grow between retries.
 *
 * @example
 * llm.withRetry({ backoffStrategy: BackoffStrategy.JITTER }); // or 'jitter'
 */
export const BackoffStrategy = {
  /** `initialDelay · multiplier^(n-1)` */
  EXPONENTIAL: 'exponential',
  /** `initialDelay · n` */
  LINEAR: 'linear',
  /** `initialDelay` */
  FIXED: 'fixed',
  /** Full jitter: uniform in `[0, min(maxDelay, initialDelay · multiplier^(n-1))]` */
  JITTER: 'jitter',
} as const;

/** One of {@link BackoffStrategy}'s values. */
export type BackoffStrategy = (typeof BackoffStrategy)[keyof typeof BackoffStrategy];

/** The settings the delay depends on. */
export interface BackoffSettings {
  readonly strategy: BackoffStrategy;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly multiplier: number;
  /** ±10 % on exponential and linear delays. */
  readonly jitter: boolean;
}

/** The delay before retry `n` (1-based), in ms: a pure function of its inputs. `random` returns [0, 1). */
export function backoffDelay(settings: BackoffSettings, n: number, random: () => number): number {
  const { strategy, initialDelay, maxDelay, multiplier, jitter } = settings;
  const exponential = initialDelay * multiplier ** (n - 1);
  let delay: number;
  switch (strategy) {
    case 'fixed':
      return Math.min(initialDelay, maxDelay);
    case 'jitter':
      return random() * Math.min(maxDelay, exponential);
    case 'linear':
      delay = initialDelay * n;
      break;
    case 'exponential':
      delay = exponential;
      break;
  }
  if (jitter) delay *= 0.9 + 0.2 * random();
  return Math.min(delay, maxDelay);
}
