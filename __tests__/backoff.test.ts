import { BackoffStrategy, backoffDelay, type BackoffSettings } from '../lib/index.js';
import { seeded } from './helpers/script.js';

const base: BackoffSettings = {
  strategy: 'exponential',
  initialDelay: 1000,
  maxDelay: 60_000,
  multiplier: 2,
  jitter: false,
};

describe('backoffDelay', () => {
  const never = (): number => {
    throw new Error('random must not be drawn');
  };

  it('grows exponentially as initialDelay · multiplier^(n-1)', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(base, n, never))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('grows linearly as initialDelay · n', () => {
    const s = { ...base, strategy: BackoffStrategy.LINEAR };
    expect([1, 2, 3].map((n) => backoffDelay(s, n, never))).toEqual([1000, 2000, 3000]);
  });

  it('keeps a fixed delay, and never jitters it', () => {
    const s = { ...base, strategy: BackoffStrategy.FIXED, jitter: true };
    expect([1, 5, 9].map((n) => backoffDelay(s, n, never))).toEqual([1000, 1000, 1000]);
  });

  it('draws full jitter uniformly in [0, min(maxDelay, exponential)]', () => {
    const s = { ...base, strategy: BackoffStrategy.JITTER, maxDelay: 5000 };
    expect(backoffDelay(s, 1, () => 0)).toBe(0);
    expect(backoffDelay(s, 1, () => 0.5)).toBe(500);
    expect(backoffDelay(s, 3, () => 0.5)).toBe(2000);
    expect(backoffDelay(s, 10, () => 0.999)).toBeCloseTo(4995);
    const random = seeded(42);
    for (let n = 1; n <= 12; n++) {
      const d = backoffDelay(s, n, random);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(5000, 1000 * 2 ** (n - 1)));
    }
  });

  it('caps every strategy at maxDelay', () => {
    for (const strategy of Object.values(BackoffStrategy)) {
      const s = { ...base, strategy, maxDelay: 1500, initialDelay: 2000 };
      expect(backoffDelay(s, 6, () => 0.999)).toBeLessThanOrEqual(1500);
    }
  });

  it('keeps ±10 % jitter on exponential and linear delays within bounds', () => {
    const random = seeded(7);
    for (const strategy of [BackoffStrategy.EXPONENTIAL, BackoffStrategy.LINEAR]) {
      for (let n = 1; n <= 5; n++) {
        const plain = backoffDelay({ ...base, strategy }, n, never);
        const jittered = backoffDelay({ ...base, strategy, jitter: true }, n, random);
        expect(jittered).toBeGreaterThanOrEqual(plain * 0.9);
        expect(jittered).toBeLessThanOrEqual(plain * 1.1);
      }
    }
    expect(backoffDelay({ ...base, jitter: true }, 1, () => 0)).toBe(900);
    expect(backoffDelay({ ...base, jitter: true }, 1, () => 0.99999)).toBeCloseTo(1100, 0);
  });
});
