/**
 * A sliding window of timestamped samples: the values recorded in the last `windowMs`, at most
 * `capacity` of them (the oldest go first). Reads prune what has aged out; nothing runs on a timer.
 * A sample may be a lower bound (`atLeast`): a request cut before it finished. It counts in the
 * quantile's ranks, never in the mean.
 */
export class SlidingWindow {
  readonly #windowMs: number;
  readonly #now: () => number;
  /** A ring buffer: `#at[i]` and `#values[i]` for the `#size` samples from `#head`. */
  readonly #at: Float64Array;
  readonly #values: Float64Array;
  /** 1 where the sample is only a lower bound. */
  readonly #atLeast: Uint8Array;
  #head = 0;
  #size = 0;
  /** Sum and count of the exact samples. */
  #sum = 0;
  #exact = 0;
  /** Ring indices sorted by value, kept until the window changes. */
  #sorted: number[] | undefined;

  constructor(windowMs: number, capacity: number, now: () => number) {
    this.#windowMs = windowMs;
    this.#now = now;
    this.#at = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
    this.#atLeast = new Uint8Array(capacity);
  }

  /** Records `value` now; `atLeast`: the true value is this or more. */
  add(value: number, atLeast = false): void {
    const capacity = this.#at.length;
    if (this.#size === capacity) this.#dropOldest();
    const i = (this.#head + this.#size) % capacity;
    this.#at[i] = this.#now();
    this.#values[i] = value;
    this.#atLeast[i] = atLeast ? 1 : 0;
    this.#size++;
    if (!atLeast) {
      this.#sum += value;
      this.#exact++;
    }
    this.#sorted = undefined;
  }

  /** How many samples the window holds now. */
  get count(): number {
    this.#prune();
    return this.#size;
  }

  /** The mean of the exact samples in the window; `undefined` when there are none. */
  mean(): number | undefined {
    this.#prune();
    return this.#exact === 0 ? undefined : this.#sum / this.#exact;
  }

  /**
   * The nearest-rank quantile `q` (0–1) of the samples in the window; `undefined` below
   * `minSamples`. When the rank falls on a lower bound, the largest exact value not above it
   * (else the bound): the quantile is known to be at least that, and nothing says more.
   */
  quantile(q: number, minSamples = 1): number | undefined {
    this.#prune();
    if (this.#size === 0 || this.#size < minSamples) return undefined;
    const sorted = (this.#sorted ??= this.#sortedIndices());
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
    for (let k = rank - 1; k >= 0; k--) if (this.#atLeast[sorted[k]!] === 0) return this.#values[sorted[k]!];
    return this.#values[sorted[rank - 1]!];
  }

  #sortedIndices(): number[] {
    const capacity = this.#values.length;
    const out = Array.from({ length: this.#size }, (_, k) => (this.#head + k) % capacity);
    return out.sort((a, b) => this.#values[a]! - this.#values[b]!);
  }

  #prune(): void {
    const oldest = this.#now() - this.#windowMs;
    let dropped = false;
    while (this.#size > 0 && this.#at[this.#head]! <= oldest) {
      this.#dropOldest();
      dropped = true;
    }
    if (dropped) this.#sorted = undefined;
    if (this.#exact === 0) this.#sum = 0; // no drift from float sums once empty
  }

  #dropOldest(): void {
    if (this.#atLeast[this.#head] === 0) {
      this.#sum -= this.#values[this.#head]!;
      this.#exact--;
    }
    this.#head = (this.#head + 1) % this.#at.length;
    this.#size--;
  }
}
