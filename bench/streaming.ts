/**
 * Section 2, streaming: time to first chunk and cost per chunk of a 500-chunk stream, the
 * stacks interleaved stream by stream in a rotating order; then a paced stream
 * (`chunk_delay`) showing each chunk reaches the caller when it arrives, not in batches.
 */
import { cpuMicros, median, once, micros, ms, p99, type SectionResult } from './stats.js';
import type { Stack } from './stacks.js';

export interface StreamingCounts {
  readonly warmup: number;
  readonly streams: number;
  readonly chunks: number;
  /** Streams per stack of a 5-chunk answer, for time to first chunk alone. */
  readonly shortStreams: number;
  readonly pacedStreams: number;
  readonly pacedChunks: number;
  readonly delayMs: number;
}

interface Timing {
  readonly ttfc: number;
  readonly perChunk: number;
  readonly arrivals: readonly number[];
  readonly text: string;
}

async function timeStream(stack: Stack, prompt: string): Promise<Timing> {
  const arrivals: number[] = [];
  const t0 = performance.now();
  const text = await stack.stream(prompt, () => arrivals.push(performance.now() - t0));
  const first = arrivals[0] ?? NaN;
  const last = arrivals[arrivals.length - 1] ?? NaN;
  return { ttfc: first, perChunk: (last - first) / Math.max(1, arrivals.length - 1), arrivals, text };
}

const expected = (n: number): string =>
  Array.from({ length: n }, (_, i) => (i === 0 ? 'w1' : ` w${i + 1}`)).join('');

/** `build(model)` returns the stacks to compare, all streaming from `model`. */
export async function runStreaming(
  build: (model: string) => readonly Stack[],
  counts: StreamingCounts,
): Promise<SectionResult> {
  const stacks = build(`gpt-4o~chunks=${counts.chunks}`);
  const full = expected(counts.chunks);
  let n = 0;
  // Warm-up failures are ignored: a pooled socket the server closed while idle fails once.
  for (let i = 0; i < counts.warmup; i++)
    for (const s of stacks) await s.stream(`warm ${++n}`).catch(() => '');

  const timings = new Map(stacks.map((s) => [s.id, [] as Timing[]]));
  const cpu = new Map(stacks.map((s) => [s.id, [] as number[]]));
  for (let r = 0; r < counts.streams; r++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(r + k) % stacks.length]!;
      const start = process.cpuUsage();
      const t = await once(() => timeStream(s, `stream ${++n}`));
      cpu.get(s.id)!.push(cpuMicros(start) / counts.chunks);
      if (t.text !== full || t.arrivals.length !== counts.chunks)
        throw new Error(
          `(${s.id}) streamed ${t.arrivals.length} chunks, text ${JSON.stringify(t.text.slice(0, 40))}…`,
        );
      timings.get(s.id)!.push(t);
    }
  }
  const short = await shortTtfc(build, counts.shortStreams);
  const rawShort = median(short.get('a')!);
  const rawTtfc = median(timings.get('a')!.map((t) => t.ttfc));
  const rawChunk = median(timings.get('a')!.map((t) => t.perChunk));
  const rawCpu = median(cpu.get('a')!);
  const rows = stacks.map((s) => {
    const ts = timings.get(s.id)!;
    const ttfc = ts.map((t) => t.ttfc);
    const perChunk = median(ts.map((t) => t.perChunk));
    const shortTtfcs = short.get(s.id)!;
    return [
      `(${s.id}) ${s.label}`,
      ms(median(shortTtfcs)),
      s.id === 'a' ? '–' : ms(median(shortTtfcs) - rawShort),
      ms(median(ttfc)),
      ms(p99(ttfc)),
      s.id === 'a' ? '–' : ms(median(ttfc) - rawTtfc),
      micros(perChunk * 1000),
      s.id === 'a' ? '–' : micros((perChunk - rawChunk) * 1000),
      micros(median(cpu.get(s.id)!)),
      s.id === 'a' ? '–' : micros(median(cpu.get(s.id)!) - rawCpu),
    ];
  });

  const paced = await pacedRun(build, counts);
  const half = Math.floor(counts.pacedChunks / 2);
  const ttfcOverhead = median(short.get('c')!) - rawShort;
  const longOverhead = median(timings.get('c')!.map((t) => t.ttfc)) - rawTtfc;
  const minGap = Math.min(...paced.map((p) => p.minGap));
  return {
    title: '2. Streaming',
    targets: [
      {
        name: '(c) time-to-first-chunk overhead (5-chunk stream; 500-chunk in brackets)',
        goal: '< 0.3 ms',
        measured: `${ms(ttfcOverhead)} ms (${ms(longOverhead)} ms)`,
        met: ttfcOverhead < 0.3,
      },
      {
        name: 'no buffering (paced stream: smallest gap between two chunks, any stack)',
        goal: `no bursts: every gap > ${counts.delayMs / 2} ms (chunks sent ${counts.delayMs} ms apart)`,
        measured: `${ms(minGap)} ms`,
        met: minGap > counts.delayMs / 2,
      },
    ],
    tables: [
      {
        title: `Time to first chunk and cost per chunk, ${counts.chunks}-chunk stream`,
        headers: [
          'stack',
          'TTFC 5-chunk ms',
          'added ms',
          'TTFC 500-chunk ms',
          'p99 ms',
          'added ms',
          'µs/chunk (wall)',
          'µs/chunk added',
          'CPU µs/chunk',
          'CPU µs/chunk added',
        ],
        rows,
        notes: [
          `${counts.streams} streams per stack, interleaved in a rotating order after ${counts.warmup} warm-up streams each; every stream checked to deliver all ${counts.chunks} chunks and the exact text.`,
          `TTFC: from the call to the first text chunk in the caller's hands, median; "5-chunk" from a separate interleaved run of ${counts.shortStreams} short streams per stack (the SDKs parse the whole first network read before they yield, so a 500-chunk stream's TTFC also carries that parse and its noise). µs/chunk (wall): (last chunk − first chunk) / (chunks − 1). CPU µs/chunk: process.cpuUsage() over the whole stream / chunks (client process only).`,
        ],
      },
      {
        title: `No buffering: a stream of ${counts.pacedChunks} chunks sent ${counts.delayMs} ms apart`,
        headers: [
          'stack',
          'chunk 2 at ms',
          `chunk ${half + 1} at ms`,
          `chunk ${counts.pacedChunks} at ms`,
          'i · delay for the last',
          'min gap ms',
          'max gap ms',
        ],
        rows: paced.map((p) => [
          `(${p.id}) ${p.label}`,
          ms(p.at(1)),
          ms(p.at(half)),
          ms(p.at(counts.pacedChunks - 1)),
          ms((counts.pacedChunks - 1) * counts.delayMs),
          ms(p.minGap),
          ms(p.maxGap),
        ]),
        notes: [
          `Arrival times in the caller relative to the first chunk, median of ${counts.pacedStreams} streams per stack; the server sends chunk i at ≈ i · ${counts.delayMs} ms (plus its timer slack, the same for every stack). A layer that buffered would deliver chunks in bursts (gaps near 0). Min/max gap: over every pair of consecutive chunks of every stream.`,
        ],
      },
    ],
  };
}

/** Time to first chunk of a short (5-chunk) stream, interleaved in a rotating order. */
async function shortTtfc(
  build: (model: string) => readonly Stack[],
  streams: number,
): Promise<Map<string, number[]>> {
  const stacks = build('gpt-4o~chunks=5');
  for (const s of stacks) for (let i = 0; i < 10; i++) await s.stream(`short warm-up ${i}`).catch(() => '');
  const ttfc = new Map(stacks.map((s) => [s.id, [] as number[]]));
  for (let r = 0; r < streams; r++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(r + k) % stacks.length]!;
      ttfc.get(s.id)!.push((await once(() => timeStream(s, `short ${r}`))).ttfc);
    }
  }
  return ttfc;
}

async function pacedRun(build: (model: string) => readonly Stack[], counts: StreamingCounts) {
  const stacks = build(`gpt-4o~chunks=${counts.pacedChunks};chunk_delay=${counts.delayMs}`);
  for (const s of stacks) await s.stream('paced warm-up').catch(() => '');
  const runs = new Map(stacks.map((s) => [s.id, [] as number[][]]));
  for (let r = 0; r < counts.pacedStreams; r++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(r + k) % stacks.length]!;
      const t = await once(() => timeStream(s, `paced ${r}`));
      runs.get(s.id)!.push(t.arrivals.map((a) => a - t.arrivals[0]!));
    }
  }
  return stacks.map((s) => {
    const rs = runs.get(s.id)!;
    const gaps = rs.flatMap((arr) => arr.slice(1).map((a, i) => a - arr[i]!));
    return {
      id: s.id,
      label: s.label,
      minGap: Math.min(...gaps),
      maxGap: Math.max(...gaps),
      at: (i: number) => median(rs.map((arr) => arr[i] ?? NaN)),
    };
  });
}
