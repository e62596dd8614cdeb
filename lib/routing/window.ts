/**
 * A sliding window of timestamped samples: the values recorded in the last `windowMs`, at most
 * `capacity` of them (the oldest go first). Reads prune what has aged out; nothing runs on a timer.
 * A sample may be a lower bound (`atLeast`): a request cut before it finished. It counts in the
 * quantile's ranks, never in the mean.
 */
export class SlidingWindow {
  readonly #windowMs: number;
  readonly #now: () => number;
  /** A ring buffer in arrival order: `#at[i]`, `#values[i]`, `#serials[i]` for the `#size` samples from `#head`. */
  readonly #at: Float64Array;
  readonly #values: Float64Array;
  readonly #serials: Float64Array;
  /** 1 where the sample is only a lower bound. */
  readonly #atLeast: Uint8Array;
  /**
   * The same samples sorted by value (equal values oldest first), kept up to date on every add and
   * drop: a binary search and a shift of typed arrays, so a quantile costs no sort.
   */
  readonly #sortedValues: Float64Array;
  readonly #sortedSerials: Float64Array;
  readonly #sortedAtLeast: Uint8Array;
  #head = 0;
  #size = 0;
  #serial = 0;
  /** Sum and count of the exact samples. */
  #sum = 0;
  #exact = 0;

  constructor(windowMs: number, capacity: number, now: () => number) {
    this.#windowMs = windowMs;
    this.#now = now;
    this.#at = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
    this.#serials = new Float64Array(capacity);
    this.#atLeast = new Uint8Array(capacity);
    this.#sortedValues = new Float64Array(capacity);
    this.#sortedSerials = new Float64Array(capacity);
    this.#sortedAtLeast = new Uint8Array(capacity);
  }

  /** Records `value` now; `atLeast`: the true value is this or more. */
  add(value: number, atLeast = false): void {
    const capacity = this.#at.length;
    if (this.#size === capacity) this.#dropOldest();
    const i = (this.#head + this.#size) % capacity;
    const serial = ++this.#serial;
    this.#at[i] = this.#now();
    this.#values[i] = value;
    this.#serials[i] = serial;
    this.#atLeast[i] = atLeast ? 1 : 0;
    this.#insertSorted(value, serial, atLeast ? 1 : 0);
    this.#size++;
    if (!atLeast) {
      this.#sum += value;
      this.#exact++;
    }
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
    const size = this.#size;
    if (size === 0 || size < minSamples) return undefined;
    const rank = Math.min(size, Math.max(1, Math.ceil(q * size)));
    const values = this.#sortedValues;
    const atLeast = this.#sortedAtLeast;
    for (let k = rank - 1; k >= 0; k--) if (atLeast[k] === 0) return values[k];
    return values[rank - 1];
  }

  /** Inserts after every sample of an equal value (so equal values stay oldest first). */
  #insertSorted(value: number, serial: number, atLeast: number): void {
    const values = this.#sortedValues;
    const size = this.#size;
    const lo = search(values, size, value, true);
    values.copyWithin(lo + 1, lo, size);
    this.#sortedSerials.copyWithin(lo + 1, lo, size);
    this.#sortedAtLeast.copyWithin(lo + 1, lo, size);
    values[lo] = value;
    this.#sortedSerials[lo] = serial;
    this.#sortedAtLeast[lo] = atLeast;
  }

  /** Removes the sample `serial` of `value` from the sorted arrays. */
  #removeSorted(value: number, serial: number): void {
    const values = this.#sortedValues;
    const serials = this.#sortedSerials;
    const size = this.#size;
    let lo = search(values, size, value, false);
    while (lo < size && serials[lo] !== serial) lo++;
    values.copyWithin(lo, lo + 1, size);
    serials.copyWithin(lo, lo + 1, size);
    this.#sortedAtLeast.copyWithin(lo, lo + 1, size);
  }

  #prune(): void {
    const oldest = this.#now() - this.#windowMs;
    while (this.#size > 0 && this.#at[this.#head]! <= oldest) this.#dropOldest();
    if (this.#exact === 0) this.#sum = 0; // no drift from float sums once empty
  }

  #dropOldest(): void {
    const head = this.#head;
    if (this.#atLeast[head] === 0) {
      this.#sum -= this.#values[head]!;
      this.#exact--;
    }
    this.#removeSorted(this.#values[head]!, this.#serials[head]!);
    this.#head = (head + 1) % this.#at.length;
    this.#size--;
  }
}

/** The first index of sorted `values[0, size)` holding more than `value` (`after`), or at least `value`. */
function search(values: Float64Array, size: number, value: number, after: boolean): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after ? values[mid]! <= value : values[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
