/**
 * Cost from a user's price table (DESIGN §11). There is no built-in price list: prices change
 * and a stale table would report wrong figures with confidence. Tokens are summed per model and
 * priced when read, so a scripted run's cost is exact up to one rounding per model.
 */
import type { Reply } from '../types.js';
import { describeValue } from '../validate.js';

/** A model's prices, per million tokens, in the currency of your choice. */
export interface ModelPrice {
  /** Per million input (prompt) tokens. */
  readonly input: number;
  /** Per million output (completion) tokens. */
  readonly output: number;
  /**
   * Per million cached input tokens (`usage.cachedInputTokens`, part of the reported input).
   * @default the `input` price
   */
  readonly cachedInput?: number;
}

/** Prices by model name: the name the provider reports in the reply, or the one you configured. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** Cost so far: the total and its split by model (the price table's key). */
export interface CostMetrics {
  readonly total: number;
  readonly byModel: Readonly<Record<string, number>>;
}

/** Token sums of one priced model. */
interface Spent {
  input: number;
  cachedInput: number;
  output: number;
}

/** Validates a price table: every price a finite number ≥ 0. Returns a frozen copy. */
export function checkPrices(prices: unknown): PriceTable | undefined {
  if (prices === undefined) return undefined;
  if (typeof prices !== 'object' || prices === null || Array.isArray(prices))
    throw new TypeError(
      `\`prices\` must be an object of model → { input, output, cachedInput? }, got ${describeValue(prices)}`,
    );
  const table: Record<string, ModelPrice> = {};
  for (const [model, price] of Object.entries(prices as Record<string, unknown>)) {
    if (typeof price !== 'object' || price === null)
      throw new TypeError(
        `\`prices[${JSON.stringify(model)}]\` must be { input, output, cachedInput? }, got ${describeValue(price)}`,
      );
    const { input, output, cachedInput } = price as Record<string, unknown>;
    for (const [field, value] of [
      ['input', input],
      ['output', output],
      ['cachedInput', cachedInput],
    ] as const) {
      if (value === undefined && field === 'cachedInput') continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        throw new RangeError(
          `\`prices[${JSON.stringify(model)}].${field}\` must be a finite number ≥ 0, got ${String(value)}`,
        );
    }
    table[model] = Object.freeze({
      input: input as number,
      output: output as number,
      ...(cachedInput === undefined ? {} : { cachedInput: cachedInput as number }),
    });
  }
  return Object.freeze(table);
}

/** Cached input tokens of a reply's usage, where the provider reports them (0 otherwise). */
function cachedInputOf(reply: Reply): number {
  const cached = (reply.usage as { cachedInputTokens?: unknown }).cachedInputTokens;
  return typeof cached === 'number' && cached > 0 ? Math.min(cached, reply.usage.inputTokens) : 0;
}

/** Sums the tokens of priced replies and prices them on demand. */
export class CostMeter {
  readonly #prices: PriceTable;
  readonly #spent = new Map<string, Spent>();

  constructor(prices: PriceTable) {
    this.#prices = prices;
  }

  /**
   * The price-table key for a reply: its reported model, else the configured model that
   * answered (a provider may report `gpt-4o-2024-08-06` for `gpt-4o`); undefined when unpriced.
   */
  modelOf(reply: Reply, configured: string | undefined): string | undefined {
    if (Object.hasOwn(this.#prices, reply.model)) return reply.model;
    return configured !== undefined && Object.hasOwn(this.#prices, configured) ? configured : undefined;
  }

  /** Adds a live (not cached) reply; returns its cost (0 when unpriced). */
  add(reply: Reply, configured: string | undefined): number {
    const model = this.modelOf(reply, configured);
    if (model === undefined) return 0;
    const cachedInput = cachedInputOf(reply);
    const spent: Spent = {
      input: reply.usage.inputTokens - cachedInput,
      cachedInput,
      output: reply.usage.outputTokens,
    };
    let sums = this.#spent.get(model);
    if (!sums) this.#spent.set(model, (sums = { input: 0, cachedInput: 0, output: 0 }));
    sums.input += spent.input;
    sums.cachedInput += spent.cachedInput;
    sums.output += spent.output;
    return this.#price(model, spent);
  }

  snapshot(): CostMetrics {
    const byModel: Record<string, number> = {};
    let total = 0;
    for (const [model, spent] of this.#spent) {
      const cost = this.#price(model, spent);
      byModel[model] = cost;
      total += cost;
    }
    return { total, byModel };
  }

  #price(model: string, spent: Spent): number {
    const p = this.#prices[model]!;
    return (
      (spent.input * p.input + spent.cachedInput * (p.cachedInput ?? p.input) + spent.output * p.output) / 1e6
    );
  }
}
