import { createHash, randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { SharedState } from '../stores/shared-state.ts'

/** What a 428 promised: the rest of that login, once the code comes. */
export interface PendingLogin {
  user: string
  audience: string
  ttlSeconds: number
}

export interface TotpChallengesOptions {
  lifetimeSeconds: number
  now: () => Date
  /** Pending challenges kept at most; the oldest go first. Each needed a right password. */
  maxPending?: number
  /** With STORE=etcd: challenges kept in the store, so any factory can take the answer. */
  shared?: SharedState | undefined
}

interface Entry extends PendingLogin {
  expiresAt: number
}

const entrySchema = z.object({
  user: z.string(),
  audience: z.string(),
  ttlSeconds: z.number(),
  expiresAt: z.number(),
})

const digest = (challenge: string) => createHash('sha256').update(challenge).digest('base64url')
/** In a shared store too, by digest: a dump of it gives no live challenge away. */
const sharedKey = (challenge: string) => `totp-challenges/${digest(challenge)}`

/**
 * Challenges between a 428 and POST /totp/validate: random, short-lived, bound to one user, and
 * single-use. They are kept by their SHA-256 digest, so neither the map's lookup timing nor a
 * memory dump gives away a live challenge.
 */
export class TotpChallenges {
  readonly #pending = new Map<string, Entry>()
  readonly #options: Required<Omit<TotpChallengesOptions, 'shared'>>
  readonly #shared: SharedState | undefined

  constructor(options: TotpChallengesOptions) {
    const { shared, ...rest } = options
    this.#options = { maxPending: 10_000, ...rest }
    this.#shared = shared
  }

  /** Rejects with StoreUnavailableError when shared and the store is down (nothing issued). */
  async issue(login: PendingLogin): Promise<{ challenge: string; expires: number }> {
    const now = this.#options.now().getTime()
    const challenge = randomBytes(32).toString('base64url')
    const expiresAt = now + this.#options.lifetimeSeconds * 1000
    const entry: Entry = { ...login, expiresAt }
    if (this.#shared) {
      await this.#shared.hold(sharedKey(challenge), JSON.stringify(entry), expiresAt / 1000)
    } else {
      this.#sweep(now)
      this.#pending.set(digest(challenge), entry)
    }
    return { challenge, expires: Math.floor(expiresAt / 1000) }
  }

  /**
   * The pending login of `challenge` when it exists, has not expired and belongs to `user`.
   * Any presentation consumes it, a wrong one too: one challenge, one try at the code.
   */
  async consume(challenge: string, user: string): Promise<PendingLogin | undefined> {
    const entry = this.#shared ? await this.#takeShared(challenge) : this.#takeLocal(challenge)
    if (!entry) return undefined
    if (entry.expiresAt <= this.#options.now().getTime() || entry.user !== user) return undefined
    return { user: entry.user, audience: entry.audience, ttlSeconds: entry.ttlSeconds }
  }

  get size(): number {
    return this.#pending.size
  }

  #takeLocal(challenge: string): Entry | undefined {
    const key = digest(challenge)
    const entry = this.#pending.get(key)
    this.#pending.delete(key)
    return entry
  }

  async #takeShared(challenge: string): Promise<Entry | undefined> {
    const value = await this.#shared!.take(sharedKey(challenge))
    if (value === undefined) return undefined
    try {
      return entrySchema.parse(JSON.parse(value))
    } catch {
      return undefined // not one this code wrote: no login follows from it
    }
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#pending) {
      if (entry.expiresAt <= now) this.#pending.delete(key)
    }
    // Insertion order is issue order: the first keys are the oldest.
    for (const key of this.#pending.keys()) {
      if (this.#pending.size < this.#options.maxPending) break
      this.#pending.delete(key)
    }
  }
}
