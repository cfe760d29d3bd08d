/** Far more assertions than live at once: each lives five minutes at most (client-auth.ts). */
const DEFAULT_MAX_ENTRIES = 100_000
/** How often (on the injected clock) the expired entries are dropped. */
const SWEEP_SECONDS = 60

export interface AssertionJtisOptions {
  now: () => Date
  /** How many unexpired assertions are remembered; beyond it new ones are refused, not forgotten. */
  maxEntries?: number
}

/**
 * The `jti`s of client assertions already used (RFC 7523 §3 item 7: the server may keep them to
 * refuse a replay), per client, each until its `exp` plus the clock tolerance: after that the
 * assertion is refused as expired anyway. In memory: a restart forgets them, which a replay within the assertion's few
 * minutes would need to coincide with. Full, it refuses new assertions rather than forget ones
 * still live, which would let them be replayed.
 */
export class AssertionJtis {
  readonly #now: () => Date
  readonly #max: number
  /** `client \0 jti` → until when (seconds) it is remembered. */
  readonly #used = new Map<string, number>()
  #nextSweep = 0

  constructor(options: AssertionJtisOptions) {
    this.#now = options.now
    this.#max = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  }

  get size(): number {
    return this.#used.size
  }

  /**
   * Records the assertion until `until` (seconds: its exp and the clock tolerance); 'replayed'
   * when it was used before, 'full' when too many live ones are remembered to take another.
   */
  consume(client: string, jti: string, until: number): 'ok' | 'replayed' | 'full' {
    const key = `${client}\0${jti}`
    const nowSeconds = this.#now().getTime() / 1000
    if (nowSeconds >= this.#nextSweep || this.#used.size >= this.#max) {
      this.#dropExpired(nowSeconds)
      this.#nextSweep = nowSeconds + SWEEP_SECONDS
    }
    if (this.#used.has(key)) return 'replayed'
    if (this.#used.size >= this.#max) return 'full'
    this.#used.set(key, until)
    return 'ok'
  }

  #dropExpired(nowSeconds: number): void {
    for (const [key, until] of this.#used) if (until < nowSeconds) this.#used.delete(key)
  }
}
