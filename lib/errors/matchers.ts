import { LLMError } from './classes.js';

/** A class (ours, an SDK's, a built-in) matched with `instanceof` along the `cause` chain. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => unknown;

/**
 * What `retryOn`, `stopOn` (and later breaker options) accept: a class, a string (a
 * case-insensitive substring of the message, or equal to the error's `kind`), or a RegExp
 * (tested against the message and the kind).
 */
export type ErrorMatcher = ErrorClass | string | RegExp;

const MAX_CAUSE_DEPTH = 8;

/** True when any matcher matches the error or an error along its `cause` chain. */
export function matchesAny(error: unknown, matchers: readonly ErrorMatcher[]): boolean {
  for (let e: unknown = error, depth = 0; e != null && depth < MAX_CAUSE_DEPTH; depth++) {
    for (const m of matchers) if (matchesOne(e, m)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

function matchesOne(error: unknown, matcher: ErrorMatcher): boolean {
  if (typeof matcher === 'function') return error instanceof matcher;
  const message = error instanceof Error ? error.message : String(error);
  const kind = error instanceof LLMError ? error.kind : undefined;
  if (typeof matcher === 'string') {
    return message.toLowerCase().includes(matcher.toLowerCase()) || kind === matcher;
  }
  matcher.lastIndex = 0;
  if (matcher.test(message)) return true;
  matcher.lastIndex = 0;
  return kind !== undefined && matcher.test(kind);
}

/** Checks a matcher list at construction; throws naming the option. */
export function checkMatchers(name: string, value: unknown): readonly ErrorMatcher[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw new TypeError(`\`${name}\` must be an array of classes, strings or RegExps, got ${typeof value}`);
  value.forEach((m, i) => {
    if (typeof m !== 'function' && typeof m !== 'string' && !(m instanceof RegExp)) {
      throw new TypeError(
        `\`${name}[${i}]\` must be a class, a string or a RegExp, got ${m === null ? 'null' : typeof m}`,
      );
    }
  });
  return Object.freeze([...value]);
}
