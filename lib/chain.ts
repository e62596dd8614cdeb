import type { LLM } from './llm.js';

/**
 * Walking a chain of wrappers, structurally: a wrapper has `inner` (and a fallback wrapper
 * `fallbacks`); a breaker wrapper has a `breaker`, a limiter wrapper a `limiter`. Reading
 * shapes instead of classes keeps this module free of imports, so any module may use it.
 */

/** A stateful guard found in a chain, labelled with the wrapper that holds it. */
export interface FoundGuard {
  /** `describe()` of the wrapper holding it. */
  readonly llm: string;
  readonly guard: object;
}

/** A leaf of a chain (a provider), with the guards on the path from the root to it, innermost first. */
export interface ChainLeaf {
  readonly llm: LLM;
  readonly breakers: readonly FoundGuard[];
  readonly limiters: readonly FoundGuard[];
}

interface Node {
  readonly inner?: unknown;
  readonly fallbacks?: unknown;
  readonly breaker?: unknown;
  readonly limiter?: unknown;
}

/** The LLMs a wrapper calls: its `inner`, then its `fallbacks`. */
export function childrenOf(llm: LLM): LLM[] {
  const node = llm as Node;
  const children: LLM[] = [];
  if (isLLMLike(node.inner)) children.push(node.inner);
  if (Array.isArray(node.fallbacks)) for (const f of node.fallbacks) if (isLLMLike(f)) children.push(f);
  return children;
}

/** Every leaf of the chain, once each (a provider reached twice is listed once), in chain order. */
export function leavesOf(root: LLM): ChainLeaf[] {
  const leaves: ChainLeaf[] = [];
  const seen = new Set<LLM>();
  const visit = (llm: LLM, breakers: FoundGuard[], limiters: FoundGuard[]): void => {
    const here = guardsAt(llm);
    const b = here.breaker ? [here.breaker, ...breakers] : breakers;
    const l = here.limiter ? [here.limiter, ...limiters] : limiters;
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
    const { breaker, limiter } = guardsAt(llm);
    for (const [found, list] of [
      [breaker, breakers],
      [limiter, limiters],
    ] as const) {
      if (found && !seen.has(found.guard)) {
        seen.add(found.guard);
        list.push(found);
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

function guardsAt(llm: LLM): { breaker?: FoundGuard; limiter?: FoundGuard } {
  const { breaker, limiter } = llm as Node;
  return {
    ...(isObject(breaker) ? { breaker: { llm: llm.describe(), guard: breaker } } : {}),
    ...(isObject(limiter) ? { limiter: { llm: llm.describe(), guard: limiter } } : {}),
  };
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isLLMLike(value: unknown): value is LLM {
  return isObject(value) && typeof (value as { describe?: unknown }).describe === 'function';
}
