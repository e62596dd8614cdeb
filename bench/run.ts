/**
 * `npm run bench`: every section, the tables printed and written to bench/RESULTS.md.
 * `npm run bench -- --quick` (`npm run bench:smoke`): every section with tiny counts, printed
 * only — a check that the benchmark still runs, not a measurement.
 * `--only=overhead,streaming,goodput,memory` runs some sections (RESULTS.md is then not written).
 * `--medium`: every section with smaller counts (the memory section keeps its 1,000,000 calls), and
 * RESULTS.md written, saying so — for a machine shared with other work, where a full run would take
 * too long. `--memory-result=<file>` takes section 4 from a separate run of bench/memory-child.ts
 * (its JSON line, with the same counts) instead of running it again.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { FaultPlan } from './faults.js';
import { runLayerCosts } from './layers.js';
import { runGoodput, type GoodputCounts, type GoodputEntry } from './goodput.js';
import { type HedgingCounts, runHedging } from './hedging.js';
import { runMemory, type MemoryCounts } from './memory.js';
import { runOverhead, type OverheadCounts } from './overhead.js';
import { environment, render, writeResults } from './report.js';
import { startFaultServer } from './server.js';
import { aiSdk, bare, fullChain, langchain, rawOpenAI, retryFallback, type Upstream } from './stacks.js';
import { renderTable, type SectionResult } from './stats.js';
import { runStreaming, type StreamingCounts } from './streaming.js';
import { toolAskTable, toolStreamTable } from './tools.js';
import { cannedFetch } from './transport.js';

interface Counts {
  overhead: OverheadCounts;
  streaming: StreamingCounts;
  goodput: GoodputCounts;
  memory: MemoryCounts;
  hedging: HedgingCounts;
}

const FULL: Counts = {
  overhead: {
    warmup: 200,
    sequential: 2500,
    concurrent: 2500,
    concurrency: 50,
    block: 200,
    cpuRounds: 20,
    cpuBlock: 200,
    localRounds: 60,
    localBlock: 250,
  },
  streaming: {
    warmup: 20,
    streams: 200,
    chunks: 500,
    shortStreams: 600,
    pacedStreams: 5,
    pacedChunks: 20,
    delayMs: 20,
  },
  goodput: { requests: 10_000, concurrency: 50, streamShare: 0.3, parallel: false, callLimitMs: 120_000 },
  memory: { calls: 1_000_000, every: 100_000, concurrency: 16, inflight: 10_000 },
  hedging: {
    calls: 10_000,
    concurrency: 50,
    slowShare: 0.05,
    delayMs: 2000,
    firstChunkTimeoutMs: 500,
    block: 2000,
  },
};

const QUICK: Counts = {
  overhead: {
    warmup: 5,
    sequential: 30,
    concurrent: 100,
    concurrency: 50,
    block: 50,
    cpuRounds: 2,
    cpuBlock: 10,
    localRounds: 2,
    localBlock: 50,
  },
  streaming: {
    warmup: 1,
    streams: 3,
    chunks: 500,
    shortStreams: 5,
    pacedStreams: 2,
    pacedChunks: 10,
    delayMs: 10,
  },
  goodput: { requests: 150, concurrency: 25, streamShare: 0.3, parallel: true, callLimitMs: 8_000 },
  memory: { calls: 20_000, every: 5_000, concurrency: 16, inflight: 1_000 },
  hedging: {
    calls: 300,
    concurrency: 50,
    slowShare: 0.05,
    delayMs: 200,
    firstChunkTimeoutMs: 50,
    block: 100,
  },
};

const MEDIUM: Counts = {
  overhead: {
    warmup: 100,
    sequential: 800,
    concurrent: 1000,
    concurrency: 50,
    block: 100,
    cpuRounds: 10,
    cpuBlock: 200,
    localRounds: 20,
    localBlock: 200,
  },
  streaming: {
    warmup: 10,
    streams: 60,
    chunks: 500,
    shortStreams: 200,
    pacedStreams: 5,
    pacedChunks: 20,
    delayMs: 20,
  },
  goodput: { requests: 2_000, concurrency: 50, streamShare: 0.3, parallel: false, callLimitMs: 120_000 },
  memory: FULL.memory,
  hedging: { ...FULL.hedging, calls: 3_000, block: 1_000 },
};

const SECTIONS = ['overhead', 'streaming', 'goodput', 'memory', 'hedging'] as const;

const PLAN: Omit<FaultPlan, 'primary' | 'fallback'> = {
  seed: 20_240_501,
  chunks: 40,
  slowMs: 5000,
  mix: {
    primary: {
      json: { '429': 0.09, '500': 0.07, '529': 0.06, reset: 0.05, timeout: 0.03 },
      stream: { '429': 0.08, '500': 0.06, '529': 0.05, reset: 0.04, timeout: 0.02, cut: 0.03, end: 0.02 },
    },
    fallback: {
      json: { '429': 0.015, '500': 0.015, '529': 0.01, reset: 0.01 },
      stream: { '429': 0.01, '500': 0.01, '529': 0.01, reset: 0.01, cut: 0.005, end: 0.005 },
    },
  },
};

const OURS = { timeoutMs: 500, initialDelayMs: 10, onInterrupt: 'restart' } as const;

const GOODPUT: readonly GoodputEntry[] = [
  { ours: true, build: (up) => retryFallback(up, OURS) },
  { ours: true, build: (up) => fullChain(up, OURS) },
  { ours: false, build: (up) => langchain(up, 'withRetry', { timeoutMs: OURS.timeoutMs }) },
  { ours: false, build: (up) => langchain(up, 'maxRetries', { timeoutMs: OURS.timeoutMs }) },
  { ours: false, build: (up) => aiSdk(up, { streamRetries: 3 }) },
];

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      medium: { type: 'boolean', default: false },
      only: { type: 'string' },
      'memory-result': { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const medium = !quick && values.medium === true;
  const only = values.only?.split(',') ?? [...SECTIONS];
  const counts = quick ? QUICK : medium ? MEDIUM : FULL;
  const memoryResult = values['memory-result'];
  const started = Date.now();
  const startLoad = loadavg()[0]!;
  const server = await startFaultServer();
  log(
    `bench: ${quick ? 'smoke (--quick)' : medium ? 'medium (--medium)' : 'full'} run; fault server at ${server.openaiBaseURL} (own process)`,
  );
  const up: Upstream = { baseURL: server.openaiBaseURL, primary: 'gpt-4o', fallback: 'gpt-4o-mini' };
  const sections: SectionResult[] = [];
  const done = (s: SectionResult): void => {
    sections.push(s);
    log(`\n### ${s.title}\n\n${s.tables.map(renderTable).join('\n\n')}\n`);
  };
  try {
    if (only.includes('overhead')) {
      log('bench: 1. overhead…');
      const six = (u: Upstream) => [
        rawOpenAI(u),
        bare(u),
        retryFallback(u),
        fullChain(u),
        langchain(u, 'withRetry'),
        aiSdk(u),
      ];
      const local = { ...up, fetch: cannedFetch };
      const overhead = await runOverhead(six(up), six(local), counts.overhead);
      const layers = await runLayerCosts(local, counts.overhead.localRounds, counts.overhead.localBlock);
      const tools = await toolAskTable(up, counts.overhead);
      done({ ...overhead, tables: [...overhead.tables, layers, tools] });
      await server.resetHits();
    }
    if (only.includes('streaming')) {
      log('bench: 2. streaming…');
      const build = (primary: string) => {
        const u = { ...up, primary };
        return [rawOpenAI(u), retryFallback(u), langchain(u, 'withRetry'), aiSdk(u)];
      };
      const streaming = await runStreaming(build, counts.streaming);
      const tools = await toolStreamTable(up, counts.streaming);
      done({ ...streaming, tables: [...streaming.tables, tools] });
      await server.resetHits();
    }
    if (only.includes('goodput')) {
      log('bench: 3. goodput under faults…');
      const plan: FaultPlan = { ...PLAN, primary: up.primary, fallback: up.fallback };
      done(await runGoodput(GOODPUT, plan, server.openaiBaseURL, counts.goodput, OURS.timeoutMs, log));
      await server.resetHits();
    }
    if (only.includes('hedging')) {
      log('bench: 5. hedged requests…');
      done(await runHedging(server.openaiBaseURL, up, counts.hedging, log));
      await server.resetHits();
    }
  } finally {
    await server.close();
  }
  if (only.includes('memory')) {
    log('bench: 4. memory (child process, --expose-gc)…');
    const reuse =
      memoryResult === undefined ? undefined : readFileSync(memoryResult, 'utf8').trim().split('\n').pop();
    done(await runMemory(counts.memory, reuse));
  }

  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const header = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${medium ? ' -- --medium' : ''}\` on ${new Date().toISOString()} (${minutes} min). Do not edit by hand: run it again.`,
    ...(medium
      ? [
          '',
          `**Medium counts** (\`--medium\`: fewer calls than a full run in sections 1–3; section 4 in full), taken on a machine shared with other work (load average ${startLoad.toFixed(1)} at the start on 2 cores): latency and CPU figures are noisier than a full run on an idle machine; re-run \`npm run bench\` there for the reference figures.`,
        ]
      : []),
    'See bench/README.md for what each section measures and how.',
  ].join('\n');
  const text = render(sections, environment(startLoad), header);
  const targets = sections.flatMap((s) => s.targets);
  log(
    `\n${renderTable({ title: 'Targets', headers: ['target', 'goal', 'measured', 'met'], rows: targets.map((t) => [t.name, t.goal, t.measured, t.met ? 'yes' : 'NO']) })}\n`,
  );
  if (!quick && only.length === SECTIONS.length) log(`bench: wrote ${writeResults(text)}`);
  else log(`bench: ${quick ? 'smoke run' : 'partial run'}: RESULTS.md left as it is (${minutes} min).`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench failed:', error);
    process.exit(1);
  },
);
