import type { SharedState } from '../stores/shared-state.ts'

/** Far more assertions than live at once: each lives five minutes at most (client-auth.ts). */
const DEFAULT_MAX_ENTRIES = 100_000
/** How often (on the injected clock) the expired entries are dropped. */
const SWEEP_SECONDS = 60

export interface AssertionJtisOptions {
  now: () => Date
  /** How many unexpired assertions are remembered; beyond it new ones are refused, not forgotten. */
  maxEntries?: number
  /** The store the factories share: an assertion used at one is refused at every other. */
  shared?: SharedState
}

/**
 * The `jti`s of client assertions already used (RFC 7523 §3 item 7: the server may keep them to
 * refuse a replay), per client, each until its `exp` plus the clock tolerance: after that the
 * assertion is refused as expired anyway. In memory first; with a SharedState each is also
 * claimed in the store, so every factory on it refuses the replay, across restarts too. Memory
 * alone: a restart forgets them, which a replay within the assertion's few minutes would need to
 * coincide with. Full, it refuses new assertions rather than forget ones still live, which would
 * let them be replayed.
 */
export class AssertionJtis {
  readonly #now: () => Date
  readonly #max: number
  readonly #shared: SharedState | undefined
  /** `client \0 jti` → until when (seconds) it is remembered. */
  readonly #used = new Map<string, number>()
  #nextSweep = 0

  constructor(options: AssertionJtisOptions) {
    this.#now = options.now
    this.#max = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    this.#shared = options.shared
  }

  get size(): number {
    return this.#used.size
  }

  /**
   * Records the assertion until `until` (seconds: its exp and the clock tolerance); 'replayed'
   * when it was used before, 'full' when too many live ones are remembered to take another.
   * Rejects with StoreUnavailableError when the shared store cannot say: it fails closed.
   */
  async consume(client: string, jti: string, until: number): Promise<'ok' | 'replayed' | 'full'> {
    const key = `${client}\0${jti}`
    const nowSeconds = this.#now().getTime() / 1000
    if (nowSeconds >= this.#nextSweep || this.#used.size >= this.#max) {
      this.#dropExpired(nowSeconds)
      this.#nextSweep = nowSeconds + SWEEP_SECONDS
    }
    if (this.#used.has(key)) return 'replayed'
    if (this.#used.size >= this.#max) return 'full'
    // Taken before the store is asked: the same assertion sent twice here at once is refused here.
    this.#used.set(key, until)
    if (!this.#shared) return 'ok'
    const claim = `assertions/${encodeURIComponent(client)}/${encodeURIComponent(jti)}`
    try {
      return (await this.#shared.claimOnce(claim, until)) ? 'ok' : 'replayed'
    } catch (err) {
      this.#used.delete(key) // not used after all: it may be sent again once the store answers
      throw err
    }
  }

  #dropExpired(nowSeconds: number): void {
    for (const [key, until] of this.#used) if (until < nowSeconds) this.#used.delete(key)
  }
}
