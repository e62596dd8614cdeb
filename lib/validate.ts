/**
 * Construction-time checks: each throws a `TypeError`/`RangeError` naming the option and the
 * value, printed by the one value printer, {@link describeValue}.
 */

/** A duration in ms: finite and ≥ 0 (undefined passes). */
export function checkDuration(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number')
    throw new TypeError(`\`${name}\` must be a number of milliseconds, got ${describeValue(value)}`);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `\`${name}\` must be a finite number of milliseconds ≥ 0, got ${describeValue(value)}`,
    );
  }
}

/** A finite number ≥ `min`. */
export function checkNumber(name: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number')
    throw new TypeError(`\`${name}\` must be a number, got ${describeValue(value)}`);
  if (!Number.isFinite(value) || value < min)
    throw new RangeError(`\`${name}\` must be a finite number ≥ ${min}, got ${describeValue(value)}`);
}

/** An integer ≥ `min`. */
export function checkInteger(name: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number')
    throw new TypeError(`\`${name}\` must be an integer, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `\`${name}\` must be ${min === 0 ? 'a non-negative' : `an ≥ ${min}`} integer, got ${describeValue(value)}`,
    );
  }
}

/** A function, if given. */
export function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`\`${name}\` must be a function, got ${describeValue(value)}`);
  }
}

/** A short, safe picture of a value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}
