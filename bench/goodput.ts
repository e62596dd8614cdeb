/**
 * Section 3, goodput under faults: the same seeded fault sequence (see faults.ts) played to each
 * stack, requests at a fixed concurrency, a share of them streamed. Every answer is checked
 * against the known full text: a short one is truncated, a long one repeats text.
 */
import { type AttemptLog, failureShare, type FaultPlan, faultyFetch, newAttemptLog } from './faults.js';
import { draw, median, ms, p99, percent, pool, type SectionResult, type Target } from './stats.js';
import type { Stack, Upstream } from './stacks.js';

export interface GoodputCounts {
  readonly requests: number;
  readonly concurrency: number;
  /** Share of requests that stream. */
  readonly streamShare: number;
  /** Run the stacks side by side instead of one after the other (smoke mode only: latencies then mix). */
  readonly parallel: boolean;
  /** A call still unanswered after this counts as failed (so no stack can stall the run). */
  readonly callLimitMs: number;
}

/** A stack to build on the dispatcher's fetch. `ours` rows are held to the targets. */
export interface GoodputEntry {
  readonly ours: boolean;
  build(up: Upstream): Stack;
}

type Outcome = 'correct' | 'truncated' | 'repeated' | 'wrong' | 'failed';

interface StackRun {
  readonly stack: Stack;
  readonly ours: boolean;
  readonly log: AttemptLog;
  readonly outcomes: Record<Outcome, number>;
  readonly errors: Map<string, number>;
  readonly latencies: number[];
  readonly seconds: number;
}

function classify(text: string, expected: string): Outcome {
  if (text === expected) return 'correct';
  if (text.length < expected.length && expected.startsWith(text)) return 'truncated';
  if (text.length > expected.length) return 'repeated';
  return 'wrong';
}

/** `Name: message`, shortened, numbers masked, so like errors group together. */
function errorName(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\d+/g, 'N').slice(0, 90);
}

async function runOne(
  entry: GoodputEntry,
  plan: FaultPlan,
  baseURL: string,
  counts: GoodputCounts,
): Promise<StackRun> {
  const log = newAttemptLog();
  const stack = entry.build({
    baseURL,
    primary: plan.primary,
    fallback: plan.fallback,
    fetch: faultyFetch(plan, log),
  });
  const expected = Array.from({ length: plan.chunks }, (_, i) => (i === 0 ? 'w1' : ` w${i + 1}`)).join('');
  const outcomes: Record<Outcome, number> = { correct: 0, truncated: 0, repeated: 0, wrong: 0, failed: 0 };
  const errors = new Map<string, number>();
  const latencies: number[] = [];
  const start = performance.now();
  await pool(counts.requests, counts.concurrency, async (i) => {
    const prompt = `Goodput req-${i}: count to ${plan.chunks}.`;
    const streamed = draw(plan.seed, i, 7) < counts.streamShare;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const call = streamed ? stack.stream(prompt) : stack.ask(prompt);
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${counts.callLimitMs} ms`)),
          counts.callLimitMs,
        );
      });
      outcomes[classify(await Promise.race([call, limit]), expected)]++;
    } catch (error) {
      outcomes.failed++;
      const name = errorName(error);
      errors.set(name, (errors.get(name) ?? 0) + 1);
    } finally {
      clearTimeout(timer);
      latencies.push(performance.now() - t0);
    }
  });
  return {
    stack,
    ours: entry.ours,
    log,
    outcomes,
    errors,
    latencies,
    seconds: (performance.now() - start) / 1000,
  };
}

/**
 * The most correct answers per attempt a stack can reach while answering every request under
 * `plan`: each primary attempt fails with the primary's fault share p (JSON or stream by
 * `streamShare`); 1 + 3 retries on the primary, then the fallback (fault share q) until it answers.
 * E[attempts] = (1 − p⁴) / (1 − p) + p⁴ / (1 − q).
 */
function answersPerAttemptCeiling(plan: FaultPlan, streamShare: number): number {
  const share = (m: {
    json: FaultPlan['mix']['primary']['json'];
    stream: FaultPlan['mix']['primary']['stream'];
  }) => (1 - streamShare) * failureShare(m.json) + streamShare * failureShare(m.stream);
  const p = share(plan.mix.primary);
  const q = share(plan.mix.fallback);
  const attempts = (1 - p ** 4) / (1 - p) + p ** 4 / (1 - q);
  return 1 / attempts;
}

export async function runGoodput(
  entries: readonly GoodputEntry[],
  plan: FaultPlan,
  baseURL: string,
  counts: GoodputCounts,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<SectionResult> {
  const runs: StackRun[] = [];
  if (counts.parallel)
    runs.push(...(await Promise.all(entries.map((e) => runOne(e, plan, baseURL, counts)))));
  else
    for (const e of entries) {
      const run = await runOne(e, plan, baseURL, counts);
      progress(`  goodput (${run.stack.id}) done in ${run.seconds.toFixed(1)} s`);
      runs.push(run);
    }

  const perSuccess = (r: StackRun): number => (r.log.primary + r.log.fallback) / r.outcomes.correct;
  /** The goodput figure: correct answers (exact full text) per upstream attempt. */
  const perAttempt = (r: StackRun): number => r.outcomes.correct / (r.log.primary + r.log.fallback);
  const floor = answersPerAttemptCeiling(plan, counts.streamShare);
  const rows = runs.map((r) => [
    `(${r.stack.id}) ${r.stack.label}`,
    percent(r.outcomes.correct / counts.requests),
    String(r.outcomes.failed),
    (r.log.primary + r.log.fallback).toString(),
    perAttempt(r).toFixed(3),
    perSuccess(r).toFixed(3),
    `${r.log.primary} / ${r.log.fallback}`,
    ms(median(r.latencies)),
    ms(p99(r.latencies)),
    String(r.outcomes.truncated),
    String(r.outcomes.repeated + r.outcomes.wrong),
    (counts.requests / r.seconds).toFixed(0),
  ]);

  const peers = runs.filter((r) => !r.ours);
  const bestPeer = Math.min(...peers.map(perSuccess));
  const bestPeerPerAttempt = Math.max(...peers.map(perAttempt));
  const targets: Target[] = runs
    .filter((r) => r.ours)
    .flatMap((r) => [
      {
        name: `(${r.stack.id}) success under faults`,
        goal: '≥ 99.9 %',
        measured: percent(r.outcomes.correct / counts.requests, 2),
        met: r.outcomes.correct / counts.requests >= 0.999,
      },
      {
        name: `(${r.stack.id}) correct answers per upstream attempt (attempts per correct answer in brackets)`,
        goal: `within 2 % of ${floor.toFixed(3)}, the most a stack answering every request can reach under this fault plan`,
        measured: `${perAttempt(r).toFixed(3)} (${perSuccess(r).toFixed(3)}); best peer ${bestPeerPerAttempt.toFixed(3)} (${bestPeer.toFixed(3)}) at ≤ ${percent(Math.max(...peers.map((p) => p.outcomes.correct)) / counts.requests, 2)} success`,
        met: perAttempt(r) >= 0.98 * floor,
      },
      {
        name: `(${r.stack.id}) answers truncated or with repeated text`,
        goal: '0',
        measured: String(r.outcomes.truncated + r.outcomes.repeated + r.outcomes.wrong),
        met: r.outcomes.truncated + r.outcomes.repeated + r.outcomes.wrong === 0,
      },
    ]);

  const mixLine = (name: string, m: Readonly<Record<string, number | undefined>>): string =>
    `${name} ${percent(failureShare(m), 0)} (${Object.entries(m)
      .map(([k, v]) => `${k} ${percent(v ?? 0, 1)}`)
      .join(', ')})`;
  return {
    title: '3. Goodput under faults',
    targets,
    tables: [
      {
        title: `${counts.requests} requests per stack at ${counts.concurrency} concurrent, ${percent(counts.streamShare, 0)} of them streamed`,
        headers: [
          'stack',
          'success',
          'failed',
          'attempts',
          'correct answers / attempt',
          'attempts / success',
          'primary / fallback attempts',
          'p50 ms',
          'p99 ms',
          'truncated',
          'repeated text',
          'requests/s',
        ],
        rows,
        notes: [
          'Success = an answer whose text is exactly the full reply. Attempts are counted in the fetch under each stack (every upstream request). Latency covers every request, start to answer or error.',
          `Goodput is stated as correct answers per upstream attempt (and its inverse, attempts per correct answer): a stack that does not retry a fault spends fewer attempts but loses or truncates that answer, so "fewer attempts" alone rewards giving up. Under this plan every attempt fails independently with the primary's fault share, so a stack that answers every request needs at least ${(1 / floor).toFixed(3)} attempts per answer on average (${floor.toFixed(3)} answers per attempt: retries while the primary fails, the fallback after four failures); a stack above that figure is one that gives up on faults.`,
          `A closed loop: ${counts.concurrency} callers, each sending its next request when the last one settles. A stack that retries within milliseconds keeps all ${counts.concurrency} requests on the wire and runs at several times the throughput (requests/s), so its p50 includes queueing on this 2-core machine, which the client and the fault server share; a stack whose callers mostly sleep in a 1–8 s backoff has a short p50 for its healthy requests and a long p99.`,
          `Faults per attempt, drawn from seed ${plan.seed} by (request, model, attempt number, streamed): primary ${mixLine('JSON', plan.mix.primary.json)}; ${mixLine('streams', plan.mix.primary.stream)}. Fallback ${mixLine('JSON', plan.mix.fallback.json)}; ${mixLine('streams', plan.mix.fallback.stream)}.`,
          `429s carry retry-after-ms 5–20 ms (and a message saying the same). A "timeout" answers only after ${plan.slowMs} ms: ours and LangChain abort the attempt at ${timeoutMs} ms; the AI SDK has no per-attempt timeout and waits. "cut" drops the socket, "end" ends the stream cleanly but without its finish reason, 10–90 % into a ${plan.chunks}-chunk answer.`,
          `Our stacks: maxRetries 3, initialDelay 10 ms, timeout ${timeoutMs} ms, onInterrupt "restart" (a cut stream restarts after a reset chunk, on which the consumer discards the text so far). Peers use their own backoff (LangChain: p-retry 1–2 s × 2ⁿ; AI SDK: 2 s × 2ⁿ, or retry-after-ms when sent) and their closest settings: LangChain timeout ${timeoutMs} ms; AI SDK streamRetries 3; both fall back to the second model.`,
          ...runs
            .filter((r) => r.errors.size > 0)
            .map(
              (r) =>
                `(${r.stack.id}) errors: ${[...r.errors]
                  .sort((a, b) => b[1] - a[1])
                  .map(([k, v]) => `${k} ×${v}`)
                  .join(', ')}`,
            ),
        ],
      },
    ],
  };
}
