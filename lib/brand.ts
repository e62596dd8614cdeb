import type { LLM } from './llm.js';

/**
 * Class identity that survives copies of the package. An application that loads it through both
 * `import` and `require` (or two bundles, or a test VM) gets two copies of every class, and a plain
 * `instanceof` fails across them: a CommonJS `RetryError` is not an ES-module `RetryError`.
 *
 * A branded class marks its prototype with a registry symbol (`Symbol.for`, the same in every copy
 * and realm) and answers `instanceof` through `Symbol.hasInstance`: the usual prototype check
 * first, then the mark. Subclasses inherit the check: a branded subclass has its own mark, an
 * unbranded one (a user's) is matched by prototype only.
 */

/** Where a branded class keeps its mark (own static property). */
const CLASS_MARK = Symbol.for('llm-resilience.brand');

/** A class, whatever its constructor's visibility (`ChainError`'s is protected). */
type AnyClass = { readonly prototype: object };

function hasInstance(this: AnyClass, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  if (!Object.prototype.hasOwnProperty.call(this, CLASS_MARK)) return false;
  const mark = (this as unknown as Record<symbol, symbol>)[CLASS_MARK]!;
  return (value as Record<symbol, unknown>)[mark] === true;
}

/**
 * Brands `cls` as `llm-resilience.<name>`: `instanceof cls` is then true for instances of the
 * same class from any copy of the package. `name` must be stable (not `cls.name`, which
 * minifiers rename).
 */
export function brand(cls: AnyClass, name: string): void {
  const mark = Symbol.for(`llm-resilience.${name}`);
  if (!(mark in cls.prototype)) Object.defineProperty(cls.prototype, mark, { value: true });
  Object.defineProperty(cls, CLASS_MARK, { value: mark });
  Object.defineProperty(cls, Symbol.hasInstance, { value: hasInstance });
}

/**
 * The brand every `LLM` carries, registered with `Symbol.for` so it is the same symbol in every
 * copy of the package (an app loading it through both `import` and `require`).
 */
export const LLM_BRAND: unique symbol = Symbol.for('llm-resilience.LLM') as never;

/**
 * True for an `LLM` of any copy of this package: what `withFallbacks`, `call.via` and `use()`
 * check, so LLMs mix across module copies.
 *
 * @example
 * isLLM(new OpenAILLM('gpt-4o')); // true
 */
export function isLLM(value: unknown): value is LLM {
  return (
    typeof value === 'object' && value !== null && (value as { [LLM_BRAND]?: unknown })[LLM_BRAND] === true
  );
}
