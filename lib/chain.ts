import { CircuitBreaker } from './guards/circuit-breaker/breaker.js';
import { RateLimiter } from './guards/rate-limit/limiter.js';
import type { LLM } from './llm.js';
import type { Guard } from './middleware/types.js';

/**
 * Walking a chain by what its layers declare: each LLM's children (a middleware layer's
 * `inner`, then the `routes` it declared) and its `guards`. Any layer — a built-in or a
 * user's — is seen the same way; no field name is guessed.
 */

/** A guard found in a chain, labelled with the layer that declared it. */
export interface FoundGuard {
  /** `describe()` of the layer holding it. */
  readonly llm: string;
  readonly guard: Guard;
}

/** A leaf of a chain (a provider), with the guards on the path from the root to it, innermost first. */
export interface ChainLeaf {
  readonly llm: LLM;
  readonly breakers: readonly FoundGuard[];
  readonly limiters: readonly FoundGuard[];
}

/** The LLMs a layer may call: its `inner`, then its declared routes. */
export function childrenOf(llm: LLM): readonly LLM[] {
  return llm._children();
}

/** Every leaf of the chain, once each (a provider reached twice is listed once), in chain order. */
export function leavesOf(root: LLM): ChainLeaf[] {
  const leaves: ChainLeaf[] = [];
  const seen = new Set<LLM>();
  const visit = (llm: LLM, breakers: readonly FoundGuard[], limiters: readonly FoundGuard[]): void => {
    const here = sortGuards(llm);
    const b = here.breakers.length > 0 ? [...here.breakers, ...breakers] : breakers;
    const l = here.limiters.length > 0 ? [...here.limiters, ...limiters] : limiters;
    const children = childrenOf(llm);
    if (children.length === 0) {
      if (!seen.has(llm)) leaves.push({ llm, breakers: b, limiters: l });
      seen.add(llm);
      return;
    }
    for (const child of children) visit(child, b, l);
  };
  visit(root, [], []);
  return leaves;
}

/** Every breaker and limiter of the chain, each shared object once. */
export function guardsOf(root: LLM): { breakers: FoundGuard[]; limiters: FoundGuard[] } {
  const breakers: FoundGuard[] = [];
  const limiters: FoundGuard[] = [];
  const seen = new Set<object>();
  const visit = (llm: LLM): void => {
    const here = sortGuards(llm);
    for (const [found, list] of [
      [here.breakers, breakers],
      [here.limiters, limiters],
    ] as const) {
      for (const f of found) {
        if (seen.has(f.guard)) continue;
        seen.add(f.guard);
        list.push(f);
      }
    }
    for (const child of childrenOf(llm)) visit(child);
  };
  visit(root);
  return { breakers, limiters };
}

/**
 * A guard's current state, for reports: `describeState()` if it has one, else `state`.
 * Never throws: a failing guard reports `{ error }`.
 */
export function guardState(guard: object): unknown {
  try {
    const g = guard as { describeState?: unknown; state?: unknown };
    if (typeof g.describeState === 'function') return (g.describeState as () => unknown).call(guard);
    return g.state;
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The breakers and limiters `llm` declares (a cache is reported by neither list). */
function sortGuards(llm: LLM): { breakers: FoundGuard[]; limiters: FoundGuard[] } {
  const breakers: FoundGuard[] = [];
  const limiters: FoundGuard[] = [];
  const guards = llm._guards();
  if (guards.length === 0) return { breakers, limiters };
  const label = llm.describe();
  for (const guard of guards) {
    if (guard instanceof CircuitBreaker) breakers.push({ llm: label, guard });
    else if (guard instanceof RateLimiter) limiters.push({ llm: label, guard });
  }
  return { breakers, limiters };
}
