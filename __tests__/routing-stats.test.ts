import fc from 'fast-check';
import { MemberStats, WINDOW_CAPACITY } from '../lib/routing/stats.js';
import { SlidingWindow } from '../lib/routing/window.js';
import { manualClock } from './helpers/guards.js';

describe('SlidingWindow', () => {
  it('keeps the samples of the last `windowMs` only, read lazily by the clock', () => {
    const clock = manualClock();
    const w = new SlidingWindow(1_000, 100, clock.now);
    w.add(10);
    clock.advance(600);
    w.add(30);
    expect([w.count, w.mean()]).toEqual([2, 20]);
    clock.advance(400); // the first sample is exactly `windowMs` old: gone
    expect([w.count, w.mean()]).toEqual([1, 30]);
    clock.advance(600);
    expect([w.count, w.mean(), w.quantile(0.95)]).toEqual([0, undefined, undefined]);
  });

  it('keeps at most `capacity` samples, the most recent', () => {
    const w = new SlidingWindow(60_000, 3, manualClock().now);
    for (const v of [100, 1, 2, 3]) w.add(v);
    expect([w.count, w.mean(), w.quantile(1)]).toEqual([3, 2, 3]);
  });

  it('gives the nearest-rank quantile, and nothing below the minimum sample', () => {
    const w = new SlidingWindow(60_000, 100, manualClock().now);
    for (let v = 1; v <= 20; v++) w.add(v * 10);
    expect(w.quantile(0.95)).toBe(190);
    expect(w.quantile(0.5)).toBe(100);
    expect(w.quantile(0.95, 21)).toBeUndefined();
    w.add(5); // the sorted order follows every change
    expect(w.quantile(0.95, 21)).toBe(190);
  });

  it('keeps its sorted order through any adds, drops by age and by capacity (against sorting every time)', () => {
    // The window keeps its samples sorted as they come and go (no sort per read): it must answer
    // every quantile, count and mean exactly as sorting the samples it holds would.
    const step = fc.oneof(
      fc.record({
        add: fc.integer({ min: 0, max: 50 }), // few distinct values: many ties
        atLeast: fc.boolean(),
      }),
      fc.record({ wait: fc.integer({ min: 0, max: 400 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), (steps, capacity) => {
        const clock = manualClock();
        const w = new SlidingWindow(1_000, capacity, clock.now);
        let held: { at: number; value: number; atLeast: boolean }[] = [];
        for (const s of steps) {
          if ('wait' in s) clock.advance(s.wait);
          else {
            w.add(s.add, s.atLeast);
            held.push({ at: clock.now(), value: s.add, atLeast: s.atLeast });
            if (held.length > capacity) held.shift();
          }
          held = held.filter((h) => h.at > clock.now() - 1_000);
          const sorted = [...held].sort((a, b) => a.value - b.value);
          const exact = held.filter((h) => !h.atLeast);
          expect(w.count).toBe(held.length);
          if (exact.length === 0) expect(w.mean()).toBeUndefined();
          else {
            const mean = exact.reduce((sum, h) => sum + h.value, 0) / exact.length;
            expect(w.mean()).toBeCloseTo(mean, 9);
          }
          for (const q of [0.5, 0.95, 1]) {
            let expected: number | undefined;
            if (sorted.length > 0) {
              const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
              const below = sorted
                .slice(0, rank)
                .reverse()
                .find((h) => !h.atLeast);
              expected = (below ?? sorted[rank - 1]!).value;
            }
            expect(w.quantile(q)).toBe(expected);
          }
        }
      }),
      { seed: 20261201, numRuns: 300 },
    );
  });
});

describe('SlidingWindow lower bounds (requests a hedge overtook)', () => {
  it('ranks them in the quantile, leaves them out of the mean, and never returns one above an exact sample', () => {
    const w = new SlidingWindow(60_000, 100, manualClock().now);
    for (let v = 1; v <= 19; v++) w.add(v * 10);
    w.add(500, true);
    w.add(520, true);
    expect(w.mean()).toBe(100);
    expect(w.count).toBe(21);
    expect(w.quantile(0.95)).toBe(190); // the rank falls on 500 "or more": the longest exact one below it
    expect(w.quantile(0.5)).toBe(110);
    const bounds = new SlidingWindow(60_000, 100, manualClock().now);
    bounds.add(300, true);
    expect([bounds.quantile(0.95), bounds.mean()]).toEqual([300, undefined]); // nothing exact: the bound
  });
});

describe('MemberStats', () => {
  it('keeps outcomes, latencies per mode and calls in flight apart', () => {
    const clock = manualClock();
    const s = new MemberStats(60_000, clock.now);
    s.start();
    s.start();
    expect([s.inFlight, s.requests]).toEqual([2, 2]);
    s.outcome('success');
    s.outcome('failure');
    s.outcome('neutral'); // recorded nowhere
    s.latency('stream', 120);
    s.end();
    expect([s.inFlight, s.successRate(), s.outcomeSamples]).toEqual([1, 0.5, 2]);
    expect([s.meanLatency('ask'), s.meanLatency('stream'), s.latencySamples('stream')]).toEqual([
      undefined,
      120,
      1,
    ]);
    clock.advance(60_000);
    expect([s.successRate(), s.meanLatency('stream'), s.requests]).toEqual([undefined, undefined, 2]);
  });

  it('bounds its memory: at most WINDOW_CAPACITY samples per window', () => {
    const s = new MemberStats(60_000, manualClock().now);
    for (let i = 0; i < 3 * WINDOW_CAPACITY; i++) s.latency('ask', i);
    expect(s.latencySamples('ask')).toBe(WINDOW_CAPACITY);
    expect(s.p95('ask', 1)).toBe(3 * WINDOW_CAPACITY - 1 - Math.floor(0.05 * WINDOW_CAPACITY));
  });
});
