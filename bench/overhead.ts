/**
 * Section 1, overhead: every stack against a healthy server, interleaved call by call in a
 * rotating order after a warm-up; sequential, then 50 in flight (in short blocks per stack,
 * rotating, so each block measures that stack's own cost at that concurrency); then the CPU
 * time per call from `process.cpuUsage()` over rotating blocks of sequential calls — over
 * loopback, and again over an in-process transport, where no socket work blurs the difference.
 */
import {
  cpuMicros,
  median,
  once,
  micros,
  ms,
  p99,
  pool,
  ratio,
  type SectionResult,
  type Target,
} from './stats.js';
import type { Stack } from './stacks.js';

export interface OverheadCounts {
  readonly warmup: number;
  readonly sequential: number;
  readonly concurrent: number;
  readonly concurrency: number;
  /** Calls per concurrent block. */
  readonly block: number;
  readonly cpuRounds: number;
  readonly cpuBlock: number;
  /** The same over the in-process transport (cheap: more of them). */
  readonly localRounds: number;
  readonly localBlock: number;
}

let prompts = 0;
const prompt = (): string => `Overhead prompt ${++prompts}: reply briefly.`;

/** Warm-up failures are ignored: a pooled socket the server closed while idle fails once. */
async function warmUp(stacks: readonly Stack[], n: number): Promise<void> {
  for (let i = 0; i < n; i++) for (const s of stacks) await s.ask(prompt()).catch(() => '');
}

/** Calls every stack once per round, the order rotating each round; one latency sample per call. */
async function sequential(stacks: readonly Stack[], rounds: number): Promise<Map<string, number[]>> {
  const samples = new Map(stacks.map((s) => [s.id, [] as number[]]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(r + k) % stacks.length]!;
      let t0 = 0;
      await once(() => ((t0 = performance.now()), s.ask(prompt())));
      samples.get(s.id)!.push(performance.now() - t0);
    }
  }
  return samples;
}

/** Short blocks of `block` calls at `concurrency` in flight, one stack per block, rotating. */
async function concurrent(
  stacks: readonly Stack[],
  calls: number,
  concurrency: number,
  block: number,
): Promise<{ samples: Map<string, number[]>; throughput: Map<string, number[]> }> {
  const samples = new Map(stacks.map((s) => [s.id, [] as number[]]));
  const throughput = new Map(stacks.map((s) => [s.id, [] as number[]]));
  const rounds = Math.ceil(calls / block);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(r + k) % stacks.length]!;
      const mine = samples.get(s.id)!;
      const start = performance.now();
      await pool(block, concurrency, async () => {
        let t0 = 0;
        await once(() => ((t0 = performance.now()), s.ask(prompt())));
        mine.push(performance.now() - t0);
      });
      throughput.get(s.id)!.push((block * 1000) / (performance.now() - start));
    }
  }
  return { samples, throughput };
}

/** CPU µs per sequential call, per stack: the median over rotating blocks. */
/** CPU per call: each stack's median block, and what it adds to another stack (the median of paired rounds). */
export interface CpuPerCall {
  readonly perCall: (id: string) => number;
  /** Median over rounds of (this stack's block − `base`'s block in the same round): robust to drift between rounds. */
  readonly added: (id: string, base: string) => number;
}

/** CPU µs per sequential call, per stack, over rotating blocks. */
export async function cpuPerCall(
  stacks: readonly Stack[],
  rounds: number,
  block: number,
): Promise<CpuPerCall> {
  const perBlock = new Map(stacks.map((s) => [s.id, [] as number[]]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(r + k) % stacks.length]!;
      const start = process.cpuUsage();
      for (let i = 0; i < block; i++) await once(() => s.ask(prompt()));
      perBlock.get(s.id)!.push(cpuMicros(start) / block);
    }
  }
  const of = (id: string): number[] => perBlock.get(id)!;
  return {
    perCall: (id) => median(of(id)),
    added: (id, base) => median(of(id).map((v, r) => v - of(base)[r]!)),
  };
}

/** `stacks` talk to the fault server; `local` are the same stacks over the in-process transport. */
export async function runOverhead(
  stacks: readonly Stack[],
  local: readonly Stack[],
  counts: OverheadCounts,
): Promise<SectionResult> {
  await warmUp(stacks, counts.warmup);
  const seq = await sequential(stacks, counts.sequential);
  const conc = await concurrent(stacks, counts.concurrent, counts.concurrency, counts.block);
  const cpu = await cpuPerCall(stacks, counts.cpuRounds, counts.cpuBlock);
  await warmUp(local, counts.warmup * 5);
  const localCpu = await cpuPerCall(local, counts.localRounds, counts.localBlock);

  const rawSeq = median(seq.get('a')!);
  const rawConc = median(conc.samples.get('a')!);
  const rows = stacks.map((s) => {
    const q = seq.get(s.id)!;
    const c = conc.samples.get(s.id)!;
    return [
      `(${s.id}) ${s.label}`,
      ms(median(q)),
      ms(p99(q)),
      ratio(median(q), rawSeq),
      ms(median(c)),
      ms(p99(c)),
      ratio(median(c), rawConc),
      median(conc.throughput.get(s.id)!).toFixed(0),
      micros(cpu.perCall(s.id)),
      s.id === 'a' ? '–' : micros(cpu.added(s.id, 'a')),
      micros(localCpu.perCall(s.id)),
      s.id === 'a' ? '–' : micros(localCpu.added(s.id, 'a')),
    ];
  });

  const at = (id: string) => ({
    seq: median(seq.get(id)!) / rawSeq,
    conc: median(conc.samples.get(id)!) / rawConc,
    cpu: cpu.added(id, 'a'),
    local: localCpu.added(id, 'a'),
  });
  const c = at('c');
  const d = at('d');
  const targets: Target[] = [
    {
      name: '(d) full chain, sequential',
      goal: '≤ 1.05× raw',
      measured: `${d.seq.toFixed(3)}×`,
      met: d.seq <= 1.05,
    },
    {
      name: '(d) full chain, 50 concurrent',
      goal: '≤ 1.05× raw',
      measured: `${d.conc.toFixed(3)}×`,
      met: d.conc <= 1.05,
    },
    {
      name: '(c) retry + fallback, sequential',
      goal: '≤ 1.03× raw',
      measured: `${c.seq.toFixed(3)}×`,
      met: c.seq <= 1.03,
    },
    {
      name: '(c) retry + fallback, 50 concurrent',
      goal: '≤ 1.03× raw',
      measured: `${c.conc.toFixed(3)}×`,
      met: c.conc <= 1.03,
    },
    ...(['b', 'c', 'd'] as const).map((id) => ({
      name: `(${id}) CPU our layer adds per call (in-process transport; over loopback in brackets)`,
      goal: '< 30 µs',
      measured: `${micros(at(id).local)} µs (${micros(at(id).cpu)} µs)`,
      met: at(id).local < 30,
    })),
  ];
  return {
    title: '1. Overhead (healthy server, non-streaming)',
    targets,
    tables: [
      {
        title: 'Latency per call and CPU per call',
        headers: [
          'stack',
          'seq median ms',
          'seq p99 ms',
          'seq ×raw',
          `${counts.concurrency}-conc median ms`,
          `${counts.concurrency}-conc p99 ms`,
          'conc ×raw',
          'conc calls/s',
          'CPU µs/call',
          'CPU µs added',
          'in-process CPU µs/call',
          'in-process CPU µs added',
        ],
        rows,
        notes: [
          `Sequential: ${counts.sequential} calls per stack, interleaved call by call, the order rotating each round, after ${counts.warmup} warm-up calls each.`,
          `Concurrent: ${counts.concurrent} calls per stack at ${counts.concurrency} in flight, in blocks of ${counts.block} calls of one stack, the stacks rotating block by block.`,
          `CPU: process.cpuUsage() (user + system) of this process (the fault server runs in its own) over ${counts.cpuRounds} rotating blocks of ${counts.cpuBlock} sequential calls per stack, median block; "added": the median over rounds of (this stack's block − (a)'s block in the same round).`,
          `In-process CPU: the same stacks with a fetch that returns a canned Response (no socket, no server), ${counts.localRounds} rotating blocks of ${counts.localBlock} calls each: what each library costs on its own, and the figure held to the 30 µs target.`,
          'Every prompt differs (so (d)\'s cache always misses). "×raw" is the ratio of medians.',
        ],
      },
    ],
  };
}
