/** Section 4, memory: runs memory-child.ts under `node --expose-gc` and tabulates what it reports. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { SectionResult } from './stats.js';

export interface MemoryCounts {
  readonly calls: number;
  readonly every: number;
  readonly concurrency: number;
  readonly inflight: number;
}

interface Steady {
  label: string;
  baseline: number;
  checkpoints: { calls: number; heapMB: number; seconds: number }[];
}

interface ChildResult {
  /** The full chain, then the same without its rate limiters. */
  steady: [Steady, Steady];
  inflight: { id: string; label: string; bytesPerCall: number }[];
}

function runChild(counts: MemoryCounts): Promise<ChildResult> {
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    resolve(__dirname, 'memory-child.ts'),
    `--calls=${counts.calls}`,
    `--every=${counts.every}`,
    `--concurrency=${counts.concurrency}`,
    `--inflight=${counts.inflight}`,
  ];
  const child = spawn(process.execPath, args, {
    cwd: resolve(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => {
      if (code !== 0) return fail(new Error(`memory child exited with ${code}`));
      done(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
    });
  });
}

const mb = (n: number): string => n.toFixed(2);

/** Growth from the first checkpoint to the last, and the peak over the warm baseline. */
function growthOf({ baseline, checkpoints }: Steady): { growth: number; peak: number } {
  const growth = checkpoints[checkpoints.length - 1]!.heapMB - checkpoints[0]!.heapMB;
  return { growth, peak: Math.max(...checkpoints.map((c) => c.heapMB)) - baseline };
}

/**
 * Section 4. `reuse`: the JSON line a separate `node --expose-gc --import tsx bench/memory-child.ts …`
 * printed with the same counts, instead of running the child again (the memory run is the longest).
 */
export async function runMemory(counts: MemoryCounts, reuse?: string): Promise<SectionResult> {
  const r = reuse === undefined ? await runChild(counts) : (JSON.parse(reuse) as ChildResult);
  const [full, noLimiter] = r.steady;
  const g = growthOf(full);
  const h = growthOf(noLimiter);
  const inflightFull = r.inflight.find((x) => x.id === 'd')!;
  const calls = counts.calls.toLocaleString('en');
  return {
    title: '4. Memory',
    targets: [
      {
        name: `(d) heap growth over ${calls} calls (first checkpoint → last)`,
        goal: '< 5 MB',
        measured: `${mb(g.growth)} MB (peak ${mb(g.peak)} MB over the warm baseline)`,
        met: g.growth < 5 && g.peak < 5,
      },
      {
        name: `(d) without its rate limiters: heap growth over ${calls} calls`,
        goal: '< 5 MB',
        measured: `${mb(h.growth)} MB (peak ${mb(h.peak)} MB)`,
        met: h.growth < 5 && h.peak < 5,
      },
    ],
    tables: [
      {
        title: `Heap after a forced GC, ${calls} calls through the full chain, and through the same chain without its rate limiters`,
        headers: [
          'calls',
          '(d) heapUsed MB',
          'Δ MB',
          'calls/s',
          '(d) − limiters heapUsed MB',
          'Δ MB',
          'calls/s',
        ],
        rows: [
          ['baseline (after warm-up)', mb(full.baseline), '0.00', '–', mb(noLimiter.baseline), '0.00', '–'],
          ...full.checkpoints.map((c, i) => {
            const o = noLimiter.checkpoints[i]!;
            return [
              c.calls.toLocaleString('en'),
              mb(c.heapMB),
              mb(c.heapMB - full.baseline),
              (c.calls / c.seconds).toFixed(0),
              mb(o.heapMB),
              mb(o.heapMB - noLimiter.baseline),
              (o.calls / o.seconds).toFixed(0),
            ];
          }),
        ],
        notes: [
          `(d): ${full.label}. (d) − limiters: ${noLimiter.label}.`,
          `In-process transport (a fetch returning a canned Response), ${counts.concurrency} calls in flight, every prompt different (the cache always misses and stays at its 1000 entries). Run under node --expose-gc; gc() twice before each reading; Δ against the baseline after a warm-up.`,
          'The rate limiter keeps its window as 100 buckets of counts (requests + token sum per 1/100 of windowMs), not one entry per call: its memory does not grow with the call rate.',
        ],
      },
      {
        title: `Heap per in-flight call, ${counts.inflight.toLocaleString('en')} calls held by a transport that has not answered`,
        headers: ['stack', 'bytes per in-flight call', 'added vs (a)'],
        rows: r.inflight.map((x) => [
          `(${x.id}) ${x.label}`,
          x.bytesPerCall.toFixed(0),
          x.id === 'a' ? '–' : (x.bytesPerCall - r.inflight[0]!.bytesPerCall).toFixed(0),
        ]),
        notes: [
          `(heapUsed with every call waiting in the transport − heapUsed before), after a forced GC, / calls. Full chain: ${inflightFull.label}.`,
        ],
      },
    ],
  };
}
