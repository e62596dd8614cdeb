/**
 * Section 4's measurements, run in a process of its own under `node --expose-gc`: many calls
 * through the full chain over an in-process transport (a `fetch` returning canned responses),
 * with the heap read after a forced GC at every checkpoint; then the heap each in-flight call
 * holds while a transport keeps thousands of calls waiting. Prints one JSON line.
 */
import { parseArgs } from 'node:util';
import { fullChain, rawOpenAI, retryFallback, type Stack, type Upstream } from './stacks.js';
import { pool } from './stats.js';
import { cannedFetch, gatedFetch } from './transport.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapMB(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function upstream(fetch: typeof globalThis.fetch): Upstream {
  return { baseURL: 'http://in-process.invalid/v1', primary: 'gpt-4o', fallback: 'gpt-4o-mini', fetch };
}

async function steady(calls: number, every: number, concurrency: number, rateLimit: boolean) {
  const stack = fullChain(upstream(cannedFetch), {}, rateLimit);
  let n = 0;
  const call = async (): Promise<void> => {
    await stack.ask(`Memory prompt ${++n}`);
  };
  await pool(Math.min(10_000, calls / 10), concurrency, call); // warm-up: JIT, cache filled
  const baseline = heapMB();
  const checkpoints: { calls: number; heapMB: number; seconds: number }[] = [];
  const start = performance.now();
  for (let done = 0; done < calls; done += every) {
    await pool(every, concurrency, call);
    checkpoints.push({ calls: done + every, heapMB: heapMB(), seconds: (performance.now() - start) / 1000 });
  }
  return { label: stack.label, baseline, checkpoints };
}

async function perCall(build: (up: Upstream) => Stack, calls: number) {
  // Warm the stack's code paths on an instant transport first, so the measurement holds calls only.
  const warm = build(upstream(cannedFetch));
  await pool(1000, 50, async (i) => void (await warm.ask(`warm ${i}`)));
  const gated = gatedFetch();
  const stack = build(upstream(gated.fetch));
  const before = heapMB();
  const pending = Array.from({ length: calls }, (_, i) => stack.ask(`In flight ${i}`));
  while (gated.started() < calls) await new Promise((r) => setImmediate(r));
  const during = heapMB();
  gated.release();
  await Promise.all(pending);
  return { label: stack.label, id: stack.id, bytesPerCall: ((during - before) * 2 ** 20) / calls };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string' },
      every: { type: 'string' },
      concurrency: { type: 'string' },
      inflight: { type: 'string' },
    },
  });
  const result = {
    steady: [
      await steady(Number(values.calls), Number(values.every), Number(values.concurrency), true),
      await steady(Number(values.calls), Number(values.every), Number(values.concurrency), false),
    ],
    inflight: [
      await perCall(rawOpenAI, Number(values.inflight)),
      await perCall((up) => retryFallback(up), Number(values.inflight)),
      await perCall((up) => fullChain(up), Number(values.inflight)),
    ],
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
