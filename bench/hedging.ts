/**
 * Section 5, hedged requests (issue 12): streamed calls at a fixed concurrency, a seeded share of
 * the primary's requests held `delayMs` before their first chunk (`first_chunk_delay`), against
 * (a) the primary alone, (b) an ordered fallback with a first-chunk timeout, (c)
 * `route([primary, backup], { hedge: { after: 'p95' } })`. Time to first chunk per call, and the
 * upstream requests each call made, counted in the `fetch` below every layer. The raw client and
 * our primary with no delays in the same run give the healthy baseline.
 */
import { type LLM, OpenAILLM, route } from './lib.js';
import { type Stack, ours, rawOpenAI, type Upstream } from './stacks.js';
import { draw, median, ms, p99, pool, percent, type SectionResult, type Target } from './stats.js';

export interface HedgingCounts {
  readonly calls: number;
  readonly concurrency: number;
  /** Share of the primary's requests that stall before their first chunk. */
  readonly slowShare: number;
  /** How long they stall, in ms. */
  readonly delayMs: number;
  /** (b)'s `firstChunkTimeout`, in ms. */
  readonly firstChunkTimeoutMs: number;
  /** Calls per row in each block; the rows take turns block by block, each block after a warm-up. */
  readonly block: number;
}

const SEED = 20_261_201;
const CHUNKS = 5;
const API_KEY = 'sk-bench';

/** Counts upstream requests; a seeded share of the primary's stall before their first chunk. */
interface Counted {
  readonly fetch: typeof fetch;
  readonly requests: { primary: number; backup: number; slow: number };
}

function countingFetch(up: Upstream, counts: HedgingCounts, faults: boolean): Counted {
  const requests = { primary: 0, backup: 0, slow: 0 };
  const fetchFn: typeof fetch = (input, init) => {
    const body = String(init?.body ?? '');
    const { model } = JSON.parse(body) as { model?: string };
    const primary = model === up.primary;
    const id = Number(/req-(\d+)/.exec(body)?.[1] ?? NaN);
    const measured = Number.isInteger(id); // a warm-up call has no id: not counted, never slow
    if (measured && primary) requests.primary++;
    else if (measured) requests.backup++;
    // Keyed on the call alone (no row sends a call's primary twice): every row meets the same slow calls.
    const slow = measured && faults && primary && draw(SEED, id) < counts.slowShare;
    if (slow) requests.slow++;
    const headers = new Headers(init?.headers);
    headers.set('x-fault', `chunks=${CHUNKS}${slow ? `;first_chunk_delay=${counts.delayMs}` : ''}`);
    return fetch(input, { ...init, headers });
  };
  return { fetch: fetchFn, requests };
}

interface Row {
  readonly id: string;
  readonly label: string;
  readonly faults: boolean;
  build(up: Upstream, counts: HedgingCounts): Stack;
}

const provider = (up: Upstream, model: string, firstChunkTimeout?: number): OpenAILLM =>
  new OpenAILLM(model, {
    apiKey: API_KEY,
    baseURL: up.baseURL,
    fetch: up.fetch,
    ...(firstChunkTimeout === undefined ? {} : { firstChunkTimeout }),
  });

const described = (id: string, label: string, llm: LLM): Stack => ours(id, label, llm);

const ROWS: readonly Row[] = [
  { id: 'h0', label: 'raw openai client, healthy', faults: false, build: (up) => rawOpenAI(up) },
  {
    id: 'h1',
    label: 'OpenAILLM, healthy',
    faults: false,
    build: (up) => described('h1', 'OpenAILLM, healthy', provider(up, up.primary)),
  },
  {
    id: 'a',
    label: 'plain primary',
    faults: true,
    build: (up) => described('a', 'plain primary', provider(up, up.primary)),
  },
  {
    id: 'b',
    label: 'ordered fallback, firstChunkTimeout',
    faults: true,
    build: (up, c) =>
      described(
        'b',
        `ordered fallback, firstChunkTimeout ${c.firstChunkTimeoutMs} ms`,
        provider(up, up.primary, c.firstChunkTimeoutMs).withFallbacks([provider(up, up.fallback)]),
      ),
  },
  {
    id: 'c',
    label: "route, hedge after 'p95'",
    faults: true,
    build: (up) =>
      described(
        'c',
        "route, hedge after 'p95'",
        route([provider(up, up.primary), provider(up, up.fallback)], { hedge: { after: 'p95' } }),
      ),
  },
];

interface Measured {
  readonly row: Row;
  readonly stack: Stack;
  readonly requests: Counted['requests'];
  readonly ttfc: number[];
  failed: number;
  seconds: number;
}

const EXPECTED = Array.from({ length: CHUNKS }, (_, i) => (i === 0 ? 'w1' : ` w${i + 1}`)).join('');

/** Calls `from` … `to - 1` through one row's stack, `concurrency` at a time. */
async function runBlock(m: Measured, from: number, to: number, concurrency: number): Promise<void> {
  // Warm the row's connections first (they went idle while the other rows ran): unmeasured calls,
  // so that the measured ones meet a steady stream, as 10,000 calls in a row would.
  await pool(concurrency, concurrency, (k) => m.stack.stream(`Warm-up ${k}`).then(() => {}));
  const start = performance.now();
  await pool(to - from, concurrency, async (k) => {
    const t0 = performance.now();
    let first = NaN;
    try {
      const text = await m.stack.stream(`Hedging req-${from + k}: count to ${CHUNKS}.`, () => {
        if (Number.isNaN(first)) first = performance.now() - t0;
      });
      if (text !== EXPECTED) throw new Error(`wrong text ${JSON.stringify(text)}`);
      m.ttfc.push(first);
    } catch {
      m.failed++;
    }
  });
  m.seconds += (performance.now() - start) / 1000;
}

/**
 * Runs every row against the fault server at `baseURL`, interleaved in blocks of `block` calls in
 * a rotating order, so that drift in the machine's load spreads evenly over the rows.
 */
export async function runHedging(
  baseURL: string,
  up: Omit<Upstream, 'baseURL' | 'fetch'>,
  counts: HedgingCounts,
  log: (line: string) => void,
): Promise<SectionResult> {
  const runs: Measured[] = ROWS.map((row) => {
    const counted = countingFetch({ baseURL, ...up }, counts, row.faults);
    const stack = row.build({ baseURL, ...up, fetch: counted.fetch }, counts);
    return { row, stack, requests: counted.requests, ttfc: [], failed: 0, seconds: 0 };
  });
  const blocks = Math.ceil(counts.calls / counts.block);
  for (let b = 0; b < blocks; b++) {
    const from = b * counts.block;
    const to = Math.min(counts.calls, from + counts.block);
    for (let k = 0; k < runs.length; k++)
      await runBlock(runs[(b + k) % runs.length]!, from, to, counts.concurrency);
  }
  for (const m of runs) log(`bench: hedging (${m.row.id}) ${m.stack.label}: ${m.seconds.toFixed(1)} s`);
  const healthy = p99(runs.find((r) => r.row.id === 'h1')!.ttfc);
  const rows = runs.map((m) => {
    const total = m.requests.primary + m.requests.backup;
    return [
      `(${m.row.id}) ${m.stack.label}`,
      String(counts.calls - m.failed),
      ms(median(m.ttfc)),
      ms(p99(m.ttfc)),
      (p99(m.ttfc) / healthy).toFixed(2),
      String(m.requests.slow),
      percent(total / counts.calls - 1),
      m.seconds.toFixed(1),
    ];
  });
  const c = runs.find((r) => r.row.id === 'c')!;
  const cExtra = (c.requests.primary + c.requests.backup) / counts.calls - 1;
  const targets: Target[] = [
    {
      name: "hedge 'p95': p99 TTFT",
      goal: '≤ 1.5× healthy p99',
      measured: `${ms(p99(c.ttfc))} ms = ${(p99(c.ttfc) / healthy).toFixed(2)}× ${ms(healthy)} ms`,
      met: p99(c.ttfc) <= 1.5 * healthy,
    },
    {
      name: "hedge 'p95': extra upstream requests",
      goal: '≤ 6 % per call',
      measured: percent(cExtra),
      met: cExtra <= 0.06,
    },
  ];
  return {
    title: '5. Hedged requests: time to first chunk with a slow share of the primary',
    tables: [
      {
        title: `${counts.calls} streamed calls per row at ${counts.concurrency} in flight; ${percent(counts.slowShare, 0)} of the primary's requests wait ${counts.delayMs} ms before their first chunk`,
        headers: [
          'stack',
          'answered',
          'p50 TTFT ms',
          'p99 TTFT ms',
          '× healthy p99',
          'slow requests',
          'extra requests / call',
          's',
        ],
        rows,
        notes: [
          "Healthy = (h1), our primary with no delays, in the same run; (h0) is the raw client's. Extra requests",
          'per call = upstream requests (counted in the `fetch` under every layer) / calls − 1. The rows take turns',
          `in blocks of ${counts.block} calls (rotating order); the slow requests are drawn from a seed per call, so every`,
          'row meets the same slow calls. `s` is the time each row spent running its blocks. Each block first',
          'warms its connections (left idle while the other rows ran) with unmeasured, uncounted, never-slow calls.',
        ],
      },
    ],
    targets,
  };
}
