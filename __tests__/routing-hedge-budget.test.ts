import { createEventBus, type LLMEvents, route } from '../lib/index.js';
import { fakeTimersPerTest, ScriptLLM, settle } from './helpers/script.js';

fakeTimersPerTest();

/** `calls` calls to a primary that answers in `delayMs`, hedged to a quick backup after 100 ms. */
async function run(
  calls: number,
  delayMs: number,
  hedge: { budget?: number; maxExtra?: number },
  llms = 2,
): Promise<{ hedges: number; requests: number[]; took: number[] }> {
  const members = Array.from(
    { length: llms },
    (_, i) => new ScriptLLM(`m${i}`, [{ delayMs: i === 0 ? delayMs : 20, chunks: [`m${i}`] }]),
  );
  const bus = createEventBus();
  let hedges = 0;
  bus.on('hedge', (_e: LLMEvents['hedge']) => hedges++);
  const llm = route(members, { hedge: { after: 100, ...hedge } }).withEvents(bus);
  const took: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = Date.now();
    await settle(llm.ask(`call ${i}`));
    took.push(Date.now() - started);
  }
  return { hedges, requests: members.map((m) => m.calls), took };
}

describe('route() hedge budget', () => {
  it('caps hedges over many slow calls at `budget` of the calls in the window, plus the allowance of 3', async () => {
    // 200 slow calls (150 ms, or 120 ms hedged) within one 60 s window: 10 % of them is 20 hedges.
    const { hedges, requests, took } = await run(200, 150, { budget: 0.1 });
    expect(hedges).toBe(20);
    expect(requests[1]).toBe(20); // a denied hedge sends nothing
    expect(took.filter((ms) => ms === 120)).toHaveLength(20);
    expect(took.filter((ms) => ms === 150)).toHaveLength(180); // denied: waited for the primary
  });

  it('refills as the window slides: old calls and hedges age out', async () => {
    // Budget 0 (the allowance only: 3 per window), 1 s calls for about 5 min: 3 hedges in each
    // 60 s window (counts age out a tenth of a window at a time); a budget that never forgot allows 3.
    const { hedges, took } = await run(300, 1_000, { budget: 0 });
    expect(took.slice(-60).some((ms) => ms === 120)).toBe(true); // hedging again late in the run
    expect(hedges).toBeGreaterThanOrEqual(15);
    expect(hedges).toBeLessThanOrEqual(18);
  });

  it('a cold router can still hedge: the allowance of 3 per window, whatever the budget', async () => {
    const { hedges, took } = await run(10, 1_000, { budget: 0 });
    expect(hedges).toBe(3);
    expect(took.slice(0, 3)).toEqual([120, 120, 120]);
    expect(took.slice(3).every((ms) => ms === 1_000)).toBe(true);
  });

  it('budget 1 behaves as before: every slow call is hedged, each by up to `maxExtra` members', async () => {
    const { hedges, requests } = await run(100, 1_000, { budget: 1, maxExtra: 2 }, 3);
    expect(hedges).toBe(100);
    expect(requests).toEqual([100, 100, 0]); // m1 answers at 120 ms, before a second hedge is due
  });

  it('the default budget is 5 %', async () => {
    const { hedges } = await run(200, 150, {});
    expect(hedges).toBe(10);
  });

  it('rejects a budget outside 0–1, naming `hedge.budget` and the value', () => {
    const llms = [new ScriptLLM('a', []), new ScriptLLM('b', [])];
    expect(() => route(llms, { hedge: { after: 100, budget: 1.5 } })).toThrow(RangeError);
    expect(() => route(llms, { hedge: { after: 100, budget: 1.5 } })).toThrow(/`hedge\.budget`.*1\.5/);
    expect(() => route(llms, { hedge: { after: 100, budget: -0.1 } })).toThrow(/`hedge\.budget`.*-0\.1/);
    expect(() => route(llms, { hedge: { after: 100, budget: Number.NaN } })).toThrow(RangeError);
    expect(() => route(llms, { hedge: { after: 100, budget: '5%' as never } })).toThrow(TypeError);
    expect(() => route(llms, { hedge: { after: 100, budgett: 0.1 } as never })).toThrow(/budget/);
  });
});
