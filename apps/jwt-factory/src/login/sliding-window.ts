export interface SlidingWindowOptions {
  /** Events allowed per key within the window. */
  limit: number
  windowMs: number
  /** Keys kept at most; the least recently hit are forgotten first. */
  maxKeys?: number
}

/**
 * Counts events per key over the last `windowMs` (a true sliding window: each event ages out on
 * its own). Only the newest `limit` times of a key are kept, all that the answer depends on.
 */
export class SlidingWindow {
  readonly #hits = new Map<string, number[]>()
  readonly #options: Required<SlidingWindowOptions>

  constructor(options: SlidingWindowOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new TypeError('SlidingWindow: limit must be a positive integer')
    }
    if (!(options.windowMs > 0)) throw new TypeError('SlidingWindow: windowMs must be positive')
    this.#options = { maxKeys: 100_000, ...options }
  }

  /**
   * Milliseconds until `key` is below its limit again; 0 when it is now. `pending` events, not
   * yet counted, come on top; while they alone fill the limit, the answer is `pendingWaitMs`.
   */
  retryAfterMs(key: string, now: number, pending = 0, pendingWaitMs = 1000): number {
    const times = this.#live(key, now)
    const { limit, windowMs } = this.#options
    if (times.length + pending < limit) return 0
    if (times.length < limit) return pendingWaitMs
    return times[times.length - limit]! + windowMs - now
  }

  hit(key: string, now: number): void {
    const times = this.#live(key, now)
    times.push(now)
    if (times.length > this.#options.limit) times.splice(0, times.length - this.#options.limit)
    this.#hits.delete(key) // re-insert: Map order becomes least recently hit first
    this.#hits.set(key, times)
    for (const oldest of this.#hits.keys()) {
      if (this.#hits.size <= this.#options.maxKeys) break
      this.#hits.delete(oldest)
    }
  }

  reset(key: string): void {
    this.#hits.delete(key)
  }

  #live(key: string, now: number): number[] {
    const times = this.#hits.get(key)
    if (!times) return []
    const live = times.filter((t) => t > now - this.#options.windowMs)
    if (live.length === 0) this.#hits.delete(key)
    return live
  }
}
