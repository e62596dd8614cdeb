import type { LLM } from '../llm.js';
import { checkOptionKeys, describeValue, optionNames } from '../validate.js';
import type { ExplainNode, ExplainOptions, Explanation, LLMMiddleware } from './types.js';

const EXPLAIN_KEYS = optionNames<ExplainOptions>({ deadline: true, timeout: true, stream: true });

/**
 * `explain()`: the figures of `root`'s chain, then `deadline` as a cap on the time (never on
 * the request count: a call can still make every request, faster).
 */
export function explainChain(root: LLM, options: ExplainOptions): Explanation {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`explain options must be an object, got ${describeValue(options)}`);
  checkOptionKeys('`explain` options', options, EXPLAIN_KEYS);
  checkMs('deadline', options.deadline);
  checkMs('timeout', options.timeout);
  const tree = root._explain(options);
  const { deadline } = options;
  if (deadline !== undefined && deadline < tree.worstCaseMs) {
    return {
      maxRequests: tree.maxRequests,
      worstCaseMs: deadline,
      reason: `capped by deadline ${deadline} ms (${Number.isFinite(tree.worstCaseMs) ? `${tree.worstCaseMs} ms` : 'unbounded'} without it)`,
      tree,
    };
  }
  return {
    maxRequests: tree.maxRequests,
    worstCaseMs: tree.worstCaseMs,
    ...(tree.reason === undefined ? {} : { reason: tree.reason }),
    tree,
  };
}

/**
 * One LLM's figures. A leaf (a provider) is one request bounded by its `timeout` (for a stream,
 * nothing bounds the whole stream but a deadline). A middleware layer asks its own `explain`
 * hook; without one, it runs `inner` and then each of its routes in order (as a fallback does).
 */
export function explainLeaf(llm: LLM, options: ExplainOptions): ExplainNode {
  const [inner, ...routes] = llm._children();
  const describe = llm.describe();
  if (inner === undefined) return explainProvider(llm, describe, options);
  const innerNode = inner._explain(options);
  const routeNodes = routes.map((route) => route._explain(options));
  const middleware = (llm as { middleware?: LLMMiddleware }).middleware;
  const figures = middleware?.explain
    ? middleware.explain(innerNode, routeNodes, options)
    : sequence([innerNode, ...routeNodes]);
  return { llm: describe, ...figures };
}

/** Nodes tried one after the other (a fallback chain): their requests and times add up. */
export function sequence(nodes: readonly ExplainNode[]): Omit<ExplainNode, 'llm'> {
  let maxRequests = 0;
  let worstCaseMs = 0;
  let reason: string | undefined;
  for (const node of nodes) {
    maxRequests += node.maxRequests;
    worstCaseMs += node.worstCaseMs;
    reason ??= node.reason;
  }
  return { maxRequests, worstCaseMs, ...(reason === undefined ? {} : { reason }), children: nodes };
}

function explainProvider(llm: LLM, describe: string, options: ExplainOptions): ExplainNode {
  if (options.stream) {
    const reason = `a stream of ${describe} is bounded only by \`deadline\` (timeouts bound its start and its gaps)`;
    return { llm: describe, maxRequests: 1, worstCaseMs: Infinity, reason, children: [] };
  }
  const limits = llm._limits();
  const timeout = options.timeout ?? limits?.timeout;
  if (timeout === undefined) {
    const reason = limits ? `no timeout on ${describe}` : `no timeout known for ${describe}`;
    return { llm: describe, maxRequests: 1, worstCaseMs: Infinity, reason, children: [] };
  }
  return {
    llm: describe,
    maxRequests: 1,
    worstCaseMs: timeout,
    formula: `timeout ${timeout} ms`,
    children: [],
  };
}

function checkMs(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !(value >= 0))
    throw new RangeError(`\`${name}\` must be a number of milliseconds ≥ 0, got ${describeValue(value)}`);
}
