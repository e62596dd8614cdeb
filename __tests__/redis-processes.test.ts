/**
 * Four processes share one rate limiter and one circuit breaker in a real redis-server, against
 * the fault server, whose hit log (in this process) is the referee. Set RESILIENT_LLM_FIGURES=1
 * to print the figures.
 */
import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { OpenAILLM } from '../lib/index.js';
import { type FaultHit, FaultServer } from '../lib/testing/index.js';
import { startLineWorker } from './helpers/line-worker.js';
import { type RedisServer, startRedis } from './helpers/redis.js';
import type {
  BreakerScenario,
  LimitScenario,
  Run,
  WorkerConfig,
  WorkerResult,
} from './workers/shared-guards.js';

const PROCESSES = 4;

type Scenario = Run['scenario'];

/** A worker process: `next()` resolves to the next line it prints. */
interface Worker {
  readonly child: ChildProcess;
  next(): Promise<string>;
}

let redis: RedisServer;
let server: FaultServer;
let workers: Worker[] = [];
let runs = 0;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  server = await FaultServer.start();
  client = new Redis(redis.url);
  workers = Array.from({ length: PROCESSES }, (_, i) =>
    startWorker({ worker: i + 1, redisUrl: redis.url, baseURL: server.openaiBaseURL }),
  );
  const ready = await Promise.all(workers.map((w) => w.next()));
  expect(ready).toEqual(workers.map(() => 'ready'));
}, 30_000);

afterAll(async () => {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.child.exitCode !== null) return resolve();
          const timer = setTimeout(() => w.child.kill('SIGKILL'), 5_000);
          w.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          w.child.stdin!.end();
        }),
    ),
  );
  client?.disconnect();
  await server?.close();
  await redis?.stop();
});

/**
 * Runs a scenario's `checks` with its figures: printed when RESILIENT_LLM_FIGURES is set, and added to
 * the message of a failing check, so that a failure in CI says what the run looked like.
 */
function checkWithFigures(title: string, figures: unknown, checks: () => void): void {
  const text = `${title}\n${JSON.stringify(figures, null, 1)}`;
  if (process.env.RESILIENT_LLM_FIGURES) console.log(text);
  try {
    checks();
  } catch (error) {
    if (typeof (error as Error | undefined)?.message === 'string') (error as Error).message += `\n\n${text}`;
    throw error;
  }
}

function startWorker(config: WorkerConfig): Worker {
  return startLineWorker('shared-guards.ts', config, `worker ${config.worker}`);
}

/** A call as the limiter's log in Redis holds it: its start by Redis' clock, and its tokens. */
interface LoggedCall {
  readonly at: number;
  readonly tokens: number;
}

/** Runs the scenario in the four processes, from the same moment; returns what each saw, and the limiter's log. */
async function inFourProcesses(
  scenario: Scenario,
): Promise<{ results: WorkerResult[]; logged: LoggedCall[] }> {
  const prefix = `processes-${process.pid}-${++runs}`;
  server.resetHits();
  const at = Date.now() + 100;
  workers.forEach((w, i) => {
    const run: Run = { at, prefix, scenario: withWorker(scenario, i + 1) };
    w.child.stdin!.write(`${JSON.stringify(run)}\n`);
  });
  // Read the shared log while it runs: an entry stays in it for a window after it starts.
  const key = `${prefix}:rl:{shared-limit}`;
  const seen = new Map<string, LoggedCall>();
  let running = true;
  const watching = (async () => {
    while (running) {
      const [scores, tokens] = await Promise.all([
        client.zrange(key, '0', '-1', 'WITHSCORES'),
        client.hgetall(`${key}:tokens`),
      ]);
      for (let i = 0; i < scores.length; i += 2) {
        const id = scores[i]!;
        seen.set(id, { at: Number(scores[i + 1]), tokens: Number(tokens[id] ?? seen.get(id)?.tokens ?? 0) });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    const lines = await Promise.all(workers.map((w) => w.next()));
    const results = lines.map((line) => JSON.parse(line) as WorkerResult);
    // The scenarios test shared state: a worker whose guard lost the store ran a local one instead.
    const lost = results.filter((r) => r.storeStatus.length > 0);
    if (lost.length > 0) {
      throw new Error(
        `A worker lost the Redis store mid-run, so its guard ran locally: ${JSON.stringify(
          lost.map(({ worker, storeStatus }) => ({ worker, storeStatus })),
        )}`,
      );
    }
    return {
      results,
      logged: [...seen.values()].sort((a, b) => a.at - b.at),
    };
  } finally {
    running = false;
    await watching;
  }
}

/** The most calls, and the most tokens, that start in any interval of `windowMs` of the log. */
function maxInLog(logged: readonly LoggedCall[], windowMs: number): { requests: number; tokens: number } {
  let requests = 0;
  let tokens = 0;
  for (let i = 0, j = 0, sum = 0; j < logged.length; j++) {
    sum += logged[j]!.tokens;
    // Starts exactly windowMs apart fall in no common window (up to float rounding in Redis).
    while (logged[j]!.at - logged[i]!.at >= windowMs - 1e-3) sum -= logged[i++]!.tokens;
    requests = Math.max(requests, j - i + 1);
    tokens = Math.max(tokens, sum);
  }
  return { requests, tokens };
}

/** Tags each worker's model strings with its number, so that the fault server's log tells them apart. */
function withWorker(scenario: Scenario, worker: number): Scenario {
  if (scenario.kind === 'limit') return scenario;
  return {
    ...scenario,
    failingModel: `${scenario.failingModel};text=w${worker}`,
    healthyModel: `${scenario.healthyModel};text=w${worker}`,
  };
}

/** Hit counts in consecutive windows of `windowMs`, laid on the limiter's rhythm (centred on its bursts). */
function perWindow(times: readonly number[], windowMs: number): number[] {
  const origin = times[0]! - windowMs / 2;
  const counts: number[] = [];
  for (const t of times) {
    const k = Math.floor((t - origin) / windowMs);
    while (counts.length <= k) counts.push(0);
    counts[k]!++;
  }
  return counts;
}

/** The most hits in any interval of `length` ms. */
function maxInAnyWindow(times: readonly number[], length: number): number {
  let max = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= length) i++;
    max = Math.max(max, j - i + 1);
  }
  return max;
}

describe('four processes sharing a RateLimiter in Redis', () => {
  it('start, all together, no more than requestsPerMinute calls in any window', async () => {
    const scenario: LimitScenario = {
      kind: 'limit',
      model: 'gpt-4o~latency=5',
      windowMs: 300,
      requestsPerWindow: 5,
      tokensPerCall: 0,
      concurrency: 3,
      durationMs: 1_800,
      maxWait: 5_000,
    };
    const { results, logged } = await inFourProcesses(scenario);
    const times = server
      .hits(scenario.model)
      .map((h) => h.at)
      .sort((a, b) => a - b);
    const windows = perWindow(times, scenario.windowMs);
    checkWithFigures(
      'limit: four processes, 5 requests per 300 ms window',
      {
        faultServerHitsPerWindow: windows,
        total: times.length,
        perProcess: results.map((r) => r.calls.filter((c) => c.outcome === 'ok').length),
        loggedInRedis: logged.length,
        maxInAny300msOfRedisClock: maxInLog(logged, 300).requests,
        maxInAny300msAtFaultServer: maxInAnyWindow(times, 300),
        slowestCallMs: Math.max(...results.flatMap((r) => r.calls.map((c) => c.ms))),
      },
      () => {
        // Every call got through (none waited past maxWait), and each reached the server once.
        const calls = results.flatMap((r) => r.calls);
        expect(calls.every((c) => c.outcome === 'ok')).toBe(true);
        expect(times).toHaveLength(calls.length);
        expect(logged).toHaveLength(calls.length);
        for (const r of results) expect(r.calls.length).toBeGreaterThan(0);
        // The guarantee, by Redis' clock: no interval of 300 ms holds more than 5 starts.
        expect(maxInLog(logged, 300).requests).toBe(5);
        // What the fault server saw, in 300 ms windows on the limiter's rhythm: never more than 5, and
        // 5 in most (the limit is used, not starved). Its own clock adds the dispatch jitter between
        // Redis granting a start and the request arriving, which a window edge cannot absorb.
        expect(windows.length).toBeGreaterThanOrEqual(6);
        for (const count of windows) expect(count).toBeLessThanOrEqual(5);
        expect(windows.filter((count) => count === 5).length).toBeGreaterThanOrEqual(5);
      },
    );
  }, 30_000);

  it('keep the tokens of any window within tokensPerMinute', async () => {
    // What one call costs: the fault server's usage for this prompt (the estimate is set to it).
    const model = 'gpt-4o~latency=5;text=tokens';
    const probe = await new OpenAILLM(model, { apiKey: 'test', baseURL: server.openaiBaseURL }).ask('hi', {
      maxTokens: 5,
    });
    const perCall = probe.usage.totalTokens;
    expect(perCall).toBeGreaterThan(0);
    const scenario: LimitScenario = {
      kind: 'limit',
      model,
      windowMs: 300,
      requestsPerWindow: 50,
      tokensPerWindow: 3 * perCall,
      tokensPerCall: perCall,
      concurrency: 2,
      durationMs: 1_500,
      maxWait: 5_000,
    };
    const { logged } = await inFourProcesses(scenario);
    const times = server
      .hits(model)
      .map((h) => h.at)
      .sort((a, b) => a - b);
    const tokens = perWindow(times, scenario.windowMs).map((n) => n * perCall);
    checkWithFigures(
      `tokens: four processes, ${3 * perCall} tokens per 300 ms window (${perCall} a call)`,
      {
        faultServerTokensPerWindow: tokens,
        maxTokensInAny300msOfRedisClock: maxInLog(logged, 300).tokens,
      },
      () => {
        expect(logged).toHaveLength(times.length);
        expect(maxInLog(logged, 300).tokens).toBe(3 * perCall);
        expect(tokens.length).toBeGreaterThanOrEqual(5);
        for (const t of tokens) expect(t).toBeLessThanOrEqual(3 * perCall);
        expect(tokens.filter((t) => t === 3 * perCall).length).toBeGreaterThanOrEqual(4);
      },
    );
  }, 30_000);
});

describe('four processes sharing a CircuitBreaker in Redis', () => {
  it('open, half-open and close together, with halfOpenMaxCalls probes across all of them', async () => {
    const scenario: BreakerScenario = {
      kind: 'breaker',
      failingModel: 'gpt-4o~status=503;latency=60',
      healthyModel: 'gpt-4o~latency=60',
      healAfterMs: 1_000,
      durationMs: 1_700,
      intervalMs: 10,
      failureThreshold: 3,
      recoveryTimeout: 300,
      halfOpenMaxCalls: 2,
      successThreshold: 2,
    };
    const { results } = await inFourProcesses(scenario);
    const hits: (FaultHit & { worker: string })[] = server
      .hits()
      .filter((h) => h.baseModel === 'gpt-4o' && /text=w\d/.test(h.model))
      .map((h) => ({ ...h, worker: /text=(w\d)/.exec(h.model)![1]! }))
      .sort((a, b) => a.at - b.at);
    const changes = results.flatMap((r) => r.changes.map((c) => ({ ...c, worker: r.worker })));
    const opened = Math.min(
      ...changes.filter((c) => c.from === 'closed' && c.to === 'open').map((c) => c.at),
    );
    const closed = Math.min(...changes.filter((c) => c.to === 'closed').map((c) => c.at));

    // Hits after the circuit opened, in half-open spells. A spell's probes are the hits that arrive
    // while its first probe still runs (60 ms): the spell cannot end sooner. A later hit before the
    // next recoveryTimeout can only be a call admitted after the last spell closed the circuit (and
    // before a process saw it close).
    const spells: (FaultHit & { worker: string })[][] = [];
    const afterClose: FaultHit[] = [];
    for (const hit of hits.filter((h) => h.at > opened + 20 && h.at < closed)) {
      const spell = spells[spells.length - 1];
      if (spell && hit.at < spell[0]!.at + 60) spell.push(hit);
      else if (!spell || hit.at - spell[0]!.at >= 300 - 25) spells.push([hit]);
      else afterClose.push(hit);
    }
    const refusedWhileProbing = results.map(
      (r) => r.calls.filter((c) => c.outcome === 'CircuitOpenError:half_open').length,
    );
    const firstOpenSeenBy = results.map((r) =>
      Math.min(...r.changes.filter((c) => c.to === 'open').map((c) => c.at - opened)),
    );
    const closedSeenBy = results.map((r) =>
      Math.min(...r.changes.filter((c) => c.to === 'closed').map((c) => c.at - closed)),
    );
    checkWithFigures(
      'breaker: four processes, failureThreshold 3, recoveryTimeout 300 ms, halfOpenMaxCalls 2',
      {
        hitsBeforeOpen: hits.filter((h) => h.at <= opened + 20).length,
        spells: spells.map((s) => ({
          atMsAfterOpen: s[0]!.at - opened,
          probes: s.length,
          from: s.map((h) => h.worker),
          outcomes: s.map((h) => h.outcome),
        })),
        refusedWhileProbing,
        openSeenMsAfterFirst: firstOpenSeenBy,
        closedSeenMsAfterFirst: closedSeenBy,
        okAfterClose: results.map(
          (r) => r.calls.filter((c) => c.at > closed + 60 && c.outcome === 'ok').length,
        ),
        failedAfterClose: results.map(
          (r) => r.calls.filter((c) => c.at > closed + 60 && c.outcome !== 'ok').length,
        ),
        slowestCallMs: Math.max(...results.flatMap((r) => r.calls.map((c) => c.ms))),
      },
      () => {
        // Open together: every process sees it open within a call or two of the first.
        expect(Number.isFinite(opened)).toBe(true);
        for (const lag of firstOpenSeenBy) expect(lag).toBeLessThan(150);
        // While open, nobody calls; each half-open spell lets exactly halfOpenMaxCalls probes through,
        // across processes, and every failing spell re-opens for a full recoveryTimeout.
        expect(spells.length).toBeGreaterThanOrEqual(2);
        expect(spells[0]![0]!.at - opened).toBeGreaterThanOrEqual(300 - 25);
        for (const spell of spells) expect(spell).toHaveLength(2);
        for (let i = 1; i < spells.length; i++) {
          expect(spells[i]![0]!.at - spells[i - 1]![0]!.at).toBeGreaterThanOrEqual(300 - 25);
        }
        expect(refusedWhileProbing.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        // Close together after the model heals: the last spell's two probes succeed.
        expect(spells[spells.length - 1]!.map((h) => h.outcome)).toEqual(['ok', 'ok']);
        for (const hit of afterClose) expect(hit.at).toBeGreaterThan(spells[spells.length - 1]![0]!.at);
        for (const lag of closedSeenBy) expect(lag).toBeLessThan(150);
        for (const r of results) {
          const after = r.calls.filter((c) => c.at > closed + 150);
          expect(after.length).toBeGreaterThan(0);
          expect(after.every((c) => c.outcome === 'ok')).toBe(true);
          expect(r.changes[r.changes.length - 1]!.to).toBe('closed');
        }
      },
    );
  }, 30_000);
});
