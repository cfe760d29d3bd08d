import { createHash, randomBytes } from 'node:crypto'

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
}

interface Entry extends PendingLogin {
  expiresAt: number
}

const digest = (challenge: string) => createHash('sha256').update(challenge).digest('base64url')

/**
 * Challenges between a 428 and POST /totp/validate: random, short-lived, bound to one user, and
 * single-use. They are kept by their SHA-256 digest, so neither the map's lookup timing nor a
 * memory dump gives away a live challenge.
 */
export class TotpChallenges {
  readonly #pending = new Map<string, Entry>()
  readonly #options: Required<TotpChallengesOptions>

  constructor(options: TotpChallengesOptions) {
    this.#options = { maxPending: 10_000, ...options }
  }

  issue(login: PendingLogin): { challenge: string; expires: number } {
    const now = this.#options.now().getTime()
    this.#sweep(now)
    const challenge = randomBytes(32).toString('base64url')
    const expiresAt = now + this.#options.lifetimeSeconds * 1000
    this.#pending.set(digest(challenge), { ...login, expiresAt })
    return { challenge, expires: Math.floor(expiresAt / 1000) }
  }

  /**
   * The pending login of `challenge` when it exists, has not expired and belongs to `user`.
   * Any presentation consumes it, a wrong one too: one challenge, one try at the code.
   */
  consume(challenge: string, user: string): PendingLogin | undefined {
    const key = digest(challenge)
    const entry = this.#pending.get(key)
    if (!entry) return undefined
    this.#pending.delete(key)
    if (entry.expiresAt <= this.#options.now().getTime() || entry.user !== user) return undefined
    return { user: entry.user, audience: entry.audience, ttlSeconds: entry.ttlSeconds }
  }

  get size(): number {
    return this.#pending.size
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
