/** Summary statistics and table rendering shared by every section. */

/** The nearest-rank quantile `q` (0–1) of `samples`. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);
export const p99 = (samples: readonly number[]): number => quantile(samples, 0.99);

/** A table, rendered as Markdown both on the terminal and in RESULTS.md. */
export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Lines printed under the table. */
  readonly notes?: readonly string[];
}

/** A target of the issue, checked against a measured figure. */
export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}

/** What a section hands back to the report. */
export interface SectionResult {
  readonly title: string;
  readonly tables: readonly Table[];
  readonly targets: readonly Target[];
}

export function renderTable(table: Table): string {
  const widths = table.headers.map((h, i) =>
    Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(Math.max(1, w - 1))}:`)).join(' | ')} |`;
  const notes = (table.notes ?? []).map((n) => `\n${n}`).join('\n');
  return [`#### ${table.title}`, '', line(table.headers), rule, ...table.rows.map(line), notes].join('\n');
}

/** Milliseconds with a sensible number of decimals. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
}

export function ratio(value: number, base: number): string {
  return Number.isFinite(value / base) ? `${(value / base).toFixed(3)}×` : '–';
}

export function micros(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '–';
}

export function percent(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)} %` : '–';
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One uniform draw in [0, 1) that depends only on its inputs. */
export function draw(...keys: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const k of keys) h = Math.imul(h ^ (k >>> 0), 0x01000193) ^ Math.imul(k >>> 16, 0x27d4eb2d);
  return seeded(h)();
}

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Microseconds of CPU (user + system) this process used since `start`. */
export function cpuMicros(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

/**
 * Runs `task`, and once more if it throws: a pooled keep-alive socket that the server closed
 * while idle fails one request, which says nothing about the stack under test.
 */
export async function once<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch {
    return task();
  }
}
