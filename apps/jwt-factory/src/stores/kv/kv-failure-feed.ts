import { randomBytes } from 'node:crypto'
import type { Logger } from '@jwt-factory/server'
import type { KvBackend } from './kv-backend.ts'
import { FAILURE_SCOPES, type FailureFeed, type FailureListener } from '../shared-state.ts'

const PREFIX = 'failures/'
/** Failures remembered as seen, at most (each costs its sender a scrypt run, so few arrive). */
const MAX_SEEN = 100_000

export interface KvFailureFeedOptions {
  windowSeconds: number
  logger: Logger
  now: () => Date
  /** This feed's own tag in the keys it writes, so its own failures are not fed back to it. */
  origin: string
}

/**
 * Failures as keys `failures/<scope>/<encodeURIComponent(name)>/<atMs>.<origin>.<random>`, each
 * with a lease as long as the throttle window, so the store forgets them when the throttle
 * would. Everything a listener needs is in the key: a watch reports keys, not values.
 */
export function createKvFailureFeed(
  backend: KvBackend,
  options: KvFailureFeedOptions,
): FailureFeed {
  const { windowSeconds, logger, origin } = options
  const ttlSeconds = Math.max(1, Math.ceil(windowSeconds))
  return {
    publish(scope, name, atMs) {
      const time = Math.floor(atMs)
      const tag = `${time}.${origin}.${randomBytes(6).toString('base64url')}`
      const key = `${PREFIX}${scope}/${encodeURIComponent(name)}/${tag}`
      const value = new Date(time).toISOString() // for whoever reads the store by hand
      backend.commit([], [{ key, value, ttlSeconds }]).catch((err: unknown) => {
        logger.warn({ key }, `a failed login was not shared: ${(err as Error).message}`)
      })
    },
    subscribe(onFailure) {
      return subscribeToFailures(backend, options, onFailure)
    },
  }
}

interface Failure {
  scope: (typeof FAILURE_SCOPES)[number]
  name: string
  atMs: number
  origin: string
}

function subscribeToFailures(
  backend: KvBackend,
  options: KvFailureFeedOptions,
  onFailure: FailureListener,
): { close(): void } {
  const { logger, now, origin } = options
  const windowMs = options.windowSeconds * 1000
  /**
   * Key → when it was first seen: a watch reports a key again when its lease ends. The catch-up
   * read at the start marks what is live then, so the removal of a key written before this
   * subscription is not taken for a new failure either.
   */
  const seen = new Map<string, number>()
  let closed = false

  const consider = (key: string) => {
    const failure = parseFailureKey(key)
    if (!failure) return logger.warn({ key }, 'skipped a key that is not a failure')
    // Seen already: this is its removal at the end of its lease. (Not the sender's time against
    // this clock: machines' clocks differ, and the store's order is what counts.)
    if (failure.origin === origin || seen.has(key) || closed) return
    const nowMs = now().getTime()
    seen.set(key, nowMs)
    // A key's removal comes one window after it was written: seen ones are kept twice as long.
    for (const [old, at] of seen) {
      if (seen.size <= MAX_SEEN && at > nowMs - 2 * windowMs) break
      seen.delete(old)
    }
    onFailure(failure.scope, failure.name, failure.atMs)
  }
  // What is live now: at the start, and after an outage, when changes may have been missed.
  const catchUp = () => {
    backend.list(PREFIX).then(
      (entries) => entries.forEach((entry) => consider(entry.key)),
      (err: unknown) => {
        logger.warn(`the failures of other factories were not read: ${(err as Error).message}`)
      },
    )
  }
  const watch = backend.watch(PREFIX, (keys) => {
    if (keys.length === 0) catchUp()
    else keys.forEach(consider)
  })
  catchUp()
  return {
    close() {
      closed = true
      watch.close()
    },
  }
}

/** The failure a key names, or undefined when it is not one this feed writes. */
export function parseFailureKey(key: string): Failure | undefined {
  const parts = key.split('/')
  if (parts.length !== 4 || `${parts[0]}/` !== PREFIX) return undefined
  const [, scope, encodedName, tag] = parts as [string, string, string, string]
  const scopeOk = FAILURE_SCOPES.find((s) => s === scope)
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/.exec(tag)
  if (!scopeOk || !match) return undefined
  let name: string
  try {
    name = decodeURIComponent(encodedName)
  } catch {
    return undefined
  }
  return { scope: scopeOk, name, atMs: Number(match[1]), origin: match[2]! }
}
