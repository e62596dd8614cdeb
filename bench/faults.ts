/**
 * The fault dispatcher for the goodput run: a `fetch` handed to a stack's client that picks a
 * fault for every upstream attempt and asks the fault server for it with an `x-fault` header.
 * The fault depends only on (seed, request number, model, attempt number for that model,
 * streaming or not) — so every stack meets the same faults on the same requests, whatever it
 * does in between — and every attempt is counted here, below every retry layer.
 */
import { draw } from './stats.js';

export type FaultKind = 'ok' | '429' | '500' | '529' | 'reset' | 'timeout' | 'cut' | 'end';

/** Share of attempts per fault kind; the rest are healthy. */
export type FaultMix = Readonly<Partial<Record<Exclude<FaultKind, 'ok'>, number>>>;

export interface FaultPlan {
  readonly seed: number;
  readonly primary: string;
  readonly fallback: string;
  /** Every answer is `w1 w2 … wN`. */
  readonly chunks: number;
  /** Server latency of a `timeout` fault: well past the attempt timeout. */
  readonly slowMs: number;
  readonly mix: {
    readonly primary: { readonly json: FaultMix; readonly stream: FaultMix };
    readonly fallback: { readonly json: FaultMix; readonly stream: FaultMix };
  };
}

/** What one stack's fetch saw. */
export interface AttemptLog {
  primary: number;
  fallback: number;
  readonly byKind: Record<FaultKind, number>;
}

export function newAttemptLog(): AttemptLog {
  return {
    primary: 0,
    fallback: 0,
    byKind: { ok: 0, '429': 0, '500': 0, '529': 0, reset: 0, timeout: 0, cut: 0, end: 0 },
  };
}

/** Total share of failing attempts of a mix. */
export function failureShare(mix: FaultMix): number {
  return Object.values(mix).reduce((a, b) => a + (b ?? 0), 0);
}

function pick(mix: FaultMix, u: number): FaultKind {
  let acc = 0;
  for (const [kind, share] of Object.entries(mix) as [Exclude<FaultKind, 'ok'>, number][]) {
    acc += share;
    if (u < acc) return kind;
  }
  return 'ok';
}

const retryAfterMs = (u: number): number => 5 + Math.floor(u * 16);

function specOf(kind: FaultKind, plan: FaultPlan, u: number): string {
  const midway = Math.max(1, Math.floor(plan.chunks * (0.1 + 0.8 * u)));
  switch (kind) {
    case '429':
      return `status=429;retry_after_ms=${retryAfterMs(u)}`;
    case '500':
      return 'status=500';
    case '529':
      return 'status=529';
    case 'reset':
      return 'reset';
    case 'timeout':
      return `latency=${plan.slowMs}`;
    case 'cut': // the socket dies in the middle of the answer, after text has reached the caller
      return `drop_after=${midway}`;
    case 'end': // the stream ends cleanly in the middle, without its finish reason or [DONE]
      return `end_after=${midway}`;
    case 'ok':
      return '';
  }
}

/** A `fetch` that plays `plan` and counts into `log`. Requests carry `req-<n>` in their prompt. */
export function faultyFetch(plan: FaultPlan, log: AttemptLog): typeof fetch {
  const attempts = new Map<string, number>();
  return (input, init) => {
    const body = init?.body;
    if (typeof body !== 'string') return Promise.reject(new TypeError('bench fetch expects a string body'));
    const json = JSON.parse(body) as { model?: string; stream?: boolean };
    const id = Number(/req-(\d+)/.exec(body)?.[1] ?? NaN);
    const role =
      json.model === plan.primary ? 'primary' : json.model === plan.fallback ? 'fallback' : undefined;
    if (role === undefined || !Number.isInteger(id))
      return Promise.reject(new TypeError(`bench fetch: unexpected request ${body.slice(0, 120)}`));
    const stream = json.stream === true;
    const key = `${id}:${role}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    log[role]++;
    const roleN = role === 'primary' ? 1 : 2;
    const kind = pick(
      plan.mix[role][stream ? 'stream' : 'json'],
      draw(plan.seed, id, roleN, attempt, stream ? 1 : 0),
    );
    log.byKind[kind]++;
    const u = draw(plan.seed, id, roleN, attempt, 99);
    const spec = specOf(kind, plan, u);
    const headers = new Headers(init?.headers);
    headers.set('x-fault', spec === '' ? `chunks=${plan.chunks}` : `chunks=${plan.chunks};${spec}`);
    const response = fetch(input, { ...init, headers });
    return kind === '429' ? response.then((r) => consistent429(r, retryAfterMs(u))) : response;
  };
}

/**
 * The fault server's 429 message always says "Please try again in 20s", whatever its
 * `retry-after-ms` header says; LangChain reads that hint from the message. Real 429s say the
 * same in both, so the message is made to match the header here.
 */
async function consistent429(response: Response, ms: number): Promise<Response> {
  const body = (await response.text()).replace(/try again in [\d.]+m?s/g, `try again in ${ms}ms`);
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
