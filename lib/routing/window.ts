/**
 * A sliding window of timestamped samples: the values recorded in the last `windowMs`, at most
 * `capacity` of them (the oldest go first). Reads prune what has aged out; nothing runs on a timer.
 */
export class SlidingWindow {
  readonly #windowMs: number;
  readonly #now: () => number;
  /** A ring buffer: `#at[i]` and `#values[i]` for the `#size` samples from `#head`. */
  readonly #at: Float64Array;
  readonly #values: Float64Array;
  #head = 0;
  #size = 0;
  #sum = 0;
  /** The sorted values, kept until the window changes. */
  #sorted: Float64Array | undefined;

  constructor(windowMs: number, capacity: number, now: () => number) {
    this.#windowMs = windowMs;
    this.#now = now;
    this.#at = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
  }

  /** Records `value` now. */
  add(value: number): void {
    const capacity = this.#at.length;
    if (this.#size === capacity) this.#dropOldest();
    const i = (this.#head + this.#size) % capacity;
    this.#at[i] = this.#now();
    this.#values[i] = value;
    this.#size++;
    this.#sum += value;
    this.#sorted = undefined;
  }

  /** How many samples the window holds now. */
  get count(): number {
    this.#prune();
    return this.#size;
  }

  /** The mean of the samples in the window; `undefined` when it is empty. */
  mean(): number | undefined {
    this.#prune();
    return this.#size === 0 ? undefined : this.#sum / this.#size;
  }

  /** The nearest-rank quantile `q` (0–1) of the samples in the window; `undefined` below `minSamples`. */
  quantile(q: number, minSamples = 1): number | undefined {
    this.#prune();
    if (this.#size === 0 || this.#size < minSamples) return undefined;
    const sorted = (this.#sorted ??= this.#sortedValues());
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
    return sorted[rank - 1];
  }

  #sortedValues(): Float64Array {
    const out = new Float64Array(this.#size);
    for (let k = 0; k < this.#size; k++) out[k] = this.#values[(this.#head + k) % this.#values.length]!;
    return out.sort();
  }

  #prune(): void {
    const oldest = this.#now() - this.#windowMs;
    let dropped = false;
    while (this.#size > 0 && this.#at[this.#head]! <= oldest) {
      this.#dropOldest();
      dropped = true;
    }
    if (dropped) this.#sorted = undefined;
    if (this.#size === 0) this.#sum = 0; // no drift from float sums once empty
  }

  #dropOldest(): void {
    this.#sum -= this.#values[this.#head]!;
    this.#head = (this.#head + 1) % this.#at.length;
    this.#size--;
  }
}
