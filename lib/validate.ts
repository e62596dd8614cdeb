/** Construction-time checks: each throws a `TypeError`/`RangeError` naming the option and the value. */

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A duration in ms: finite and ≥ 0 (undefined passes). */
export function checkDuration(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number')
    throw new TypeError(`\`${name}\` must be a number of milliseconds, got ${show(value)}`);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`\`${name}\` must be a finite number of milliseconds ≥ 0, got ${show(value)}`);
  }
}

/** A finite number ≥ `min`. */
export function checkNumber(name: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw new TypeError(`\`${name}\` must be a number, got ${show(value)}`);
  if (!Number.isFinite(value) || value < min)
    throw new RangeError(`\`${name}\` must be a finite number ≥ ${min}, got ${show(value)}`);
}

/** An integer ≥ `min`. */
export function checkInteger(name: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw new TypeError(`\`${name}\` must be an integer, got ${show(value)}`);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `\`${name}\` must be ${min === 0 ? 'a non-negative' : `an ≥ ${min}`} integer, got ${show(value)}`,
    );
  }
}

/** A function, if given. */
export function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`\`${name}\` must be a function, got ${show(value)}`);
  }
}
