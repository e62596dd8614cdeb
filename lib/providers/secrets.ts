/** The credentials to keep out of every message: whatever strings of them are set. */
export function secretsOf(...values: readonly unknown[]): readonly string[] {
  return Object.freeze([
    ...new Set(values.filter((v): v is string => typeof v === 'string' && v.length > 0)),
  ]);
}
