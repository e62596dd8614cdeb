/**
 * Call latencies in flat memory: an exact running count, sum and max, and a ring of the most
 * recent `size` samples for the p95.
 */
export class LatencyWindow {
  readonly #ring: Float64Array;
  #next = 0;
  #filled = 0;
  #count = 0;
  #sum = 0;
  #max = -Infinity;

  constructor(size: number) {
    this.#ring = new Float64Array(size);
  }

  add(ms: number): void {
    this.#ring[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#filled = Math.min(this.#filled + 1, this.#ring.length);
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  /** Average and max over every sample; p95 (nearest rank) over the window. `null`s before the first. */
  summary(): { average: number | null; p95: number | null; max: number | null; samples: number } {
    if (this.#count === 0) return { average: null, p95: null, max: null, samples: 0 };
    const window = this.#ring.slice(0, this.#filled).sort();
    return {
      average: this.#sum / this.#count,
      p95: window[Math.ceil(0.95 * window.length) - 1]!,
      max: this.#max,
      samples: this.#filled,
    };
  }
}
