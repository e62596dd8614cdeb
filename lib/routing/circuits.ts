import { leavesOf } from '../chain.js';
import type { LLM } from '../llm.js';

/**
 * Whether a route member can be skipped without a request because of open circuits: every
 * provider it could reach is behind a breaker (anywhere on the path to it) whose circuit is open.
 * Built once per member (a chain's structure never changes); each check reads the breakers' state.
 */
export function openCircuitCheck(member: LLM): () => boolean {
  const paths = leavesOf(member).map((leaf) =>
    leaf.breakers.map((found) => found.guard as { state?: unknown }),
  );
  if (paths.length === 0 || paths.some((breakers) => breakers.length === 0)) return never;
  return () => paths.every((breakers) => breakers.some((breaker) => breaker.state === 'open'));
}

/** A refusal that made no request, after which the route moves on whatever `fallbackCondition` says. */
export function isRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { kind, name } = error as { kind?: unknown; name?: unknown };
  // By shape: errors may come from another copy of the package (or, for the latter, a newer one).
  return kind === 'circuit_open' || kind === 'unsupported' || name === 'UnsupportedRequestError';
}

function never(): boolean {
  return false;
}
