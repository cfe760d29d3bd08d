import type { MiddlewareHandler } from 'hono'
import { injectedFault, ServiceUnavailableError } from '@jwt-factory/server'

export const JWKS_FAULTS = ['none', 'slow', 'failing'] as const
export type JwksFaultMode = (typeof JWKS_FAULTS)[number]

/**
 * The fault a learner asked the factory's JWKS endpoints to show (POST /control/jwks-fault), so
 * the verifiers' answers to a key set that is slow or failing can be watched: `slow` answers each
 * JWKS request only after `delayMs`, longer than a verifier waits (its 504 names jwt-factory);
 * `failing` answers 503 (its 502). A held answer is a timer, never the process: it goes out
 * early when the fault is lifted, when its caller gives up, or when the factory stops (close()).
 */
export class JwksFault {
  #mode: JwksFaultMode = 'none'
  readonly #held = new Set<() => void>()
  readonly #share: ((mode: JwksFaultMode) => void) | undefined

  /**
   * `share` tells the other workers of this factory (workers/): a learner's fault holds for the
   * factory, whichever process answers.
   */
  constructor(
    readonly delayMs: number,
    options: { share?: (mode: JwksFaultMode) => void } = {},
  ) {
    if (!Number.isInteger(delayMs) || delayMs < 1)
      throw new TypeError(`JwksFault: delayMs must be a positive integer, got ${delayMs}`)
    this.#share = options.share
  }

  get mode(): JwksFaultMode {
    return this.#mode
  }

  /** How many JWKS answers are being held now. */
  get held(): number {
    return this.#held.size
  }

  /** The learner's choice: here, and shared. */
  set(mode: JwksFaultMode): void {
    this.adopt(mode)
    this.#share?.(mode)
  }

  /** A choice made at another worker: here only, not shared again. */
  adopt(mode: JwksFaultMode): void {
    this.#mode = mode
    if (mode !== 'slow') this.#releaseAll()
  }

  /** Lets every held answer go out, for a process that stops (the others keep the fault). */
  close(): void {
    this.adopt('none')
  }

  /**
   * In front of every JWKS endpoint: the fault of this process, or the one a request from this
   * machine carries in x-fault (`?fault=jwks:…` on a scenario, for that request alone).
   */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const asked = injectedFault(c)
      const mode = () => (asked?.kind === 'jwks' ? asked.mode : this.#mode)
      if (mode() === 'slow') await this.#hold(c.req.raw.signal)
      // Read again: a learner who switches from slow to failing fails the answers held so far.
      if (mode() === 'failing') {
        throw new ServiceUnavailableError(
          'the JWKS is failing on purpose: a fault asked for at POST /control/jwks-fault or with ?fault=jwks:failing',
        )
      }
      await next()
    }
  }

  #hold(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', release)
        this.#held.delete(release)
        resolve()
      }
      const timer = setTimeout(release, this.delayMs)
      timer.unref()
      signal.addEventListener('abort', release, { once: true })
      this.#held.add(release)
    })
  }

  #releaseAll(): void {
    for (const release of [...this.#held]) release()
  }
}
