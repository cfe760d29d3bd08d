import { TooManyRequestsError } from '@jwt-factory/server'
import type { FailureFeed, FailureScope } from '../stores/shared-state.ts'
import { SlidingWindow } from './sliding-window.ts'

export interface LoginThrottleOptions {
  windowSeconds: number
  maxFailuresPerUser: number
  maxFailuresPerAddress: number
  now: () => Date
  /** Failures shared with the other factories on the same store: told, and counted here. */
  failures?: FailureFeed
  /** Under which scopes this throttle's failures go on the feed; a login's by default. */
  scopes?: { user: FailureScope; address: FailureScope }
}

/**
 * Failed logins per user name (guessing one account's password) and per client address (trying
 * many accounts). Names are counted whether or not the user exists, so a 429 tells nothing about
 * which accounts exist. A successful login clears its user's failures, not its address's.
 * Not rate-limiter-flexible: a fixed window from a key's first hit, on Date.now(), keys unbounded.
 *
 * With a FailureFeed, each failure here is told to the other factories, and each one there is
 * counted here when it arrives: a guesser spreading attempts over the factories meets one limit.
 * Memory still decides, so a login never waits on the store, and the throttle works without it.
 */
export class LoginThrottle {
  readonly #byUser: SlidingWindow
  readonly #byAddress: SlidingWindow
  /** Checks still running, per `u:<user>` and `a:<address>`: they count until they end. */
  readonly #pending = new Map<string, number>()
  readonly #now: () => Date
  readonly #failures: FailureFeed | undefined
  readonly #scopes: { user: FailureScope; address: FailureScope }

  constructor(options: LoginThrottleOptions) {
    const windowMs = options.windowSeconds * 1000
    this.#byUser = new SlidingWindow({ limit: options.maxFailuresPerUser, windowMs })
    this.#byAddress = new SlidingWindow({ limit: options.maxFailuresPerAddress, windowMs })
    this.#now = options.now
    this.#failures = options.failures
    const scopes = (this.#scopes = options.scopes ?? { user: 'u', address: 'a' })
    // At its arrival, not at the sender's time: clocks of other machines may be off.
    this.#failures?.subscribe((scope, name) => {
      const now = this.#now().getTime()
      if (scope === scopes.user) this.#byUser.hit(name, now)
      else if (scope === scopes.address) this.#byAddress.hit(name, now)
    })
  }

  /**
   * Throws a 429 with Retry-After when this user or this address failed too often lately,
   * counting checks still running as failures-to-be: a burst of parallel guesses, each taking
   * a scrypt run, cannot all pass the door before the first one fails. Call the returned
   * function when the attempt is over (after `failed` when it failed).
   */
  begin(user: string, address: string): () => void {
    const now = this.#now().getTime()
    const waitMs = Math.max(
      this.#byUser.retryAfterMs(user, now, this.#count(`u:${user}`)),
      this.#byAddress.retryAfterMs(address, now, this.#count(`a:${address}`)),
    )
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000)
      const message = `too many failed logins; try again in ${seconds} s`
      throw new TooManyRequestsError(message, waitMs / 1000)
    }
    const keys = [`u:${user}`, `a:${address}`]
    for (const key of keys) this.#pending.set(key, this.#count(key) + 1)
    let ended = false
    return () => {
      if (ended) return
      ended = true
      for (const key of keys) {
        const left = this.#count(key) - 1
        if (left > 0) this.#pending.set(key, left)
        else this.#pending.delete(key)
      }
    }
  }

  failed(user: string, address: string): void {
    const now = this.#now().getTime()
    this.#byUser.hit(user, now)
    this.#byAddress.hit(address, now)
    this.#failures?.publish(this.#scopes.user, user, now)
    this.#failures?.publish(this.#scopes.address, address, now)
  }

  succeeded(user: string): void {
    this.#byUser.reset(user)
  }

  #count(key: string): number {
    return this.#pending.get(key) ?? 0
  }
}
