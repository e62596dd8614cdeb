/**
 * The hit log: every completion request the server saw, its merged fault spec and what
 * the server did, with per-model-string counts that also drive `fail_first`.
 */
import type { Provider } from './headers.js';
import type { FaultSpec } from './spec.js';

/**
 * One recorded request.
 *
 * @example
 * ```ts
 * const [hit] = server.hits('gpt-4o~status=503');
 * hit.outcome; // 'status:503'
 * ```
 */
export interface FaultHit {
  /** The full model string as sent, with any fault suffix. */
  readonly model: string;
  /** The model string before `~`. */
  readonly baseModel: string;
  /** Which wire format the request used. */
  readonly provider: Provider;
  /** Whether the request asked for a stream. */
  readonly stream: boolean;
  /** When the request arrived, epoch ms. */
  readonly at: number;
  /** The merged spec (model suffix and `x-fault` header). */
  readonly fault: FaultSpec;
  /** What the server did: `ok`, `status:503`, `reset`, `hang`, `drop_after:3`, … */
  readonly outcome: string;
  /** The request body as received (parsed JSON): assert on the translated messages, tools, schema… */
  readonly body: Readonly<Record<string, unknown>>;
}

/** The hit log body served at `GET /_fault/hits`. */
export interface HitReport {
  hits: FaultHit[];
  counts: Record<string, number>;
}

/** Records hits and counts them per full model string. */
export class HitLog {
  #hits: FaultHit[] = [];
  #counts = new Map<string, number>();

  /** Records a hit. */
  record(hit: FaultHit): void {
    this.#hits.push(Object.freeze({ ...hit, fault: Object.freeze({ ...hit.fault }) }));
    this.#counts.set(hit.model, this.count(hit.model) + 1);
  }

  /** The hits so far, optionally only those of one model string. */
  list(model?: string): FaultHit[] {
    return model === undefined ? [...this.#hits] : this.#hits.filter((hit) => hit.model === model);
  }

  /** How many hits so far, optionally of one model string. */
  count(model?: string): number {
    return model === undefined ? this.#hits.length : (this.#counts.get(model) ?? 0);
  }

  /** The log as served over HTTP. */
  report(model?: string): HitReport {
    const counts = Object.fromEntries(this.#counts);
    if (model === undefined) return { hits: this.list(), counts };
    return { hits: this.list(model), counts: this.#counts.has(model) ? { [model]: this.count(model) } : {} };
  }

  /** Forgets every hit and count (and so every `fail_first` counter). */
  clear(): void {
    this.#hits = [];
    this.#counts.clear();
  }
}

const STREAM_FAULTS = [
  'drop_after',
  'end_after',
  'error_event_after',
  'stall_after',
  'malformed_after',
  'no_done',
] as const satisfies readonly (keyof FaultSpec)[];

/** A short description of what the server will do with a request under this (active) spec. */
export function describeOutcome(
  spec: FaultSpec,
  provider: Provider,
  stream: boolean,
  errorStatus: number | undefined,
): string {
  if (spec.hang === true) return 'hang';
  if (spec.reset === true) return 'reset';
  if (errorStatus !== undefined) return `status:${errorStatus}`;
  if (!stream) return 'ok';
  const parts = STREAM_FAULTS.flatMap((key) => {
    const value = spec[key];
    if (value === undefined || value === false || (key === 'no_done' && provider !== 'openai')) return [];
    return [value === true ? key : `${key}:${value}`];
  });
  return parts.length === 0 ? 'ok' : parts.join(',');
}
