/**
 * The limiter's bucketed window (lib/guards/rate-limit/window.ts) against the exact sliding-window
 * log it replaced (helpers/exact-window.ts), with fast-check: the same guarantee — never more than
 * the limits in any window of windowMs — at O(window / resolution) memory.
 */
import fc from 'fast-check';
import { RateLimiter } from '../lib/index.js';
import { BucketedWindow, RESOLUTION } from '../lib/guards/rate-limit/window.js';
import { ExactWindowLog } from './helpers/exact-window.js';

const SEED = 20261201;

/** The most requests and tokens any window (s − W, s] ending at a start s holds (an exact sweep). */
function busiestWindow(starts: readonly { at: number; tokens: number }[], windowMs: number) {
  const sorted = [...starts].sort((a, b) => a.at - b.at);
  let requests = 0;
  let tokens = 0;
  let lo = 0;
  let sum = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    sum += sorted[hi]!.tokens;
    // Calls starting at the same instant all belong to the window ending there.
    while (hi + 1 < sorted.length && sorted[hi + 1]!.at === sorted[hi]!.at) sum += sorted[++hi]!.tokens;
    while (sorted[lo]!.at <= sorted[hi]!.at - windowMs) sum -= sorted[lo++]!.tokens;
    requests = Math.max(requests, hi - lo + 1);
    tokens = Math.max(tokens, sum);
  }
  return { requests, tokens };
}

describe('BucketedWindow', () => {
  it('waits at least as long as the exact log and at most one bucket longer, on the same history', () => {
    const windowMs = 1_000;
    const width = windowMs / RESOLUTION;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 50, max: 500 }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 120 }),
            tokens: fc.integer({ min: 0, max: 60 }),
            used: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          { minLength: 1, maxLength: 300 },
        ),
        (maxRequests, maxTokens, calls) => {
          const bucketed = new BucketedWindow(windowMs, maxRequests, maxTokens);
          const exact = new ExactWindowLog(windowMs, maxRequests, maxTokens);
          const started: { at: number; tokens: number }[] = [];
          let now = 0;
          for (const { gap, tokens, used } of calls) {
            now += gap;
            bucketed.prune(now);
            exact.prune(now);
            const want = exact.earliest(now, tokens, -Infinity);
            const got = bucketed.earliest(now, tokens, -Infinity);
            expect(got).toBeGreaterThanOrEqual(want);
            expect(got).toBeLessThanOrEqual(want + width);
            if (!Number.isFinite(got)) continue;
            // Both admit the call at the bucketed start; it starts at once (time moves on to it).
            const b = bucketed.add(got, tokens);
            const e = exact.add(got, tokens);
            now = Math.max(now, got);
            bucketed.start(b);
            e.started = true;
            // The reply's usage replaces the estimate (real use at most the estimate).
            const real = Math.floor(tokens * used);
            bucketed.adjust(b, real);
            exact.adjust(e, real);
            started.push({ at: got, tokens: real });
          }
          const busiest = busiestWindow(started, windowMs);
          expect(busiest.requests).toBeLessThanOrEqual(maxRequests);
          expect(busiest.tokens).toBeLessThanOrEqual(maxTokens);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('holds about RESOLUTION buckets however many calls a window sees', () => {
    const window = new BucketedWindow(60_000, Infinity, Infinity);
    for (let i = 0; i < 200_000; i++) {
      const now = i * 3; // 20,000 calls per window
      window.prune(now);
      window.start(window.add(window.earliest(now, 1, -Infinity), 1));
    }
    expect(window.size).toBeLessThanOrEqual(RESOLUTION + 1);
    const { requests } = window.usage(600_000);
    expect(requests).toBeGreaterThanOrEqual(20_000);
    expect(requests).toBeLessThanOrEqual(20_000 + 60_000 / RESOLUTION / 3 + 1);
  });
});

describe('RateLimiter (bucketed)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('never starts more than the limits in any window: 1,000 concurrent callers, fake time', async () => {
    const windowMs = 10_000;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 5, max: 200 }),
        fc.integer({ min: 500, max: 20_000 }),
        fc.array(
          fc.record({
            arrival: fc.integer({ min: 0, max: 3 * windowMs }),
            tokens: fc.integer({ min: 1, max: 400 }),
            used: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          { minLength: 1_000, maxLength: 1_000 },
        ),
        async (requestsPerMinute, tokensPerMinute, callers) => {
          const limiter = new RateLimiter({
            requestsPerMinute,
            tokensPerMinute,
            windowMs,
            maxWait: 10_000 * windowMs,
            respectProviderHeaders: false,
          });
          const origin = Date.now();
          const starts: { at: number; tokens: number }[] = [];
          const calls = callers.map(
            ({ arrival, tokens, used }) =>
              new Promise<void>((resolve, reject) => {
                setTimeout(() => {
                  limiter.acquire(tokens).then((ticket) => {
                    const real = Math.floor(tokens * used);
                    ticket.reconcile(real);
                    starts.push({ at: Date.now() - origin, tokens: real });
                    resolve();
                  }, reject);
                }, arrival);
              }),
          );
          await jest.runAllTimersAsync();
          await Promise.all(calls);
          expect(starts).toHaveLength(callers.length);
          const busiest = busiestWindow(starts, windowMs);
          expect(busiest.requests).toBeLessThanOrEqual(requestsPerMinute);
          expect(busiest.tokens).toBeLessThanOrEqual(tokensPerMinute);
        },
      ),
      { seed: SEED, numRuns: 10, endOnFailure: true },
    );
  }, 120_000);
});
