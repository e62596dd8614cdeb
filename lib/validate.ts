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

/**
 * The names an options object accepts, written as a record so that the compiler proves the list
 * complete: every key of `T` must be there, and nothing else but the names in `Extra` (names a
 * sibling type is about to gain, accepted ahead of time).
 *
 * @example
 * const KEYS = optionNames<RetryConfig>({ maxRetries: true, initialDelay: true, … });
 */
export function optionNames<T extends object, Extra extends string = never>(
  names: { readonly [K in keyof T]-?: true } & { readonly [K in Extra]?: true },
): ReadonlySet<string> {
  return new Set(Object.keys(names));
}

/**
 * Throws a `TypeError` for the first own key of `options` that `known` lacks, naming it and the
 * closest known name (a did-you-mean), so a misspelt option never passes silently. The value is
 * never shown: a misspelt `apikey` holds a secret.
 *
 * @param what names the options object in the message, e.g. `` `withRetry` ``.
 * @param hint a last sentence for a key with no close match, e.g. where provider fields go.
 */
export function checkOptionKeys(
  what: string,
  options: object,
  known: ReadonlySet<string>,
  hint?: string,
): void {
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const near = closest(key, known);
    const advice =
      near === undefined
        ? `; it takes ${[...known].map((k) => `\`${k}\``).join(', ')}${hint ? `. ${hint}` : ''}`
        : `; did you mean \`${near}\`?`;
    throw new TypeError(`Unknown option \`${key}\` in ${what}${advice}`);
  }
}

/** The known name nearest to `word` (case-insensitive edit distance), if it is near enough to be a typo. */
export function closest(word: string, known: Iterable<string>): string | undefined {
  const target = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = editDistance(target, name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return bestDistance <= Math.max(1, Math.ceil(word.length / 3)) ? best : undefined;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps each cost 1. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]!.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]!.push(d);
    }
  }
  return rows[a.length]![b.length]!;
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
