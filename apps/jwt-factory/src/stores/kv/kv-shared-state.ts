import { randomBytes } from 'node:crypto'
import type { Logger } from '@jwt-factory/server'
import type { KvBackend } from './kv-backend.ts'
import type { SharedState } from '../shared-state.ts'
import { createKvFailureFeed } from './kv-failure-feed.ts'

export interface KvSharedStateOptions {
  /** The throttle window: how long a failure is kept in the store and counted. */
  windowSeconds: number
  logger: Logger
  /** The factory's clock: a claim's ttl runs from it to its `until`. */
  now: () => Date
}

/**
 * SharedState on a KvBackend. A claim is a key under `once/` written only if absent, with a
 * lease for as long as it matters: the store refuses a second claim however many factories
 * race, and forgets it by itself after. Failures are keys under `failures/` (kv-failure-feed.ts).
 */
export function createKvSharedState(
  backend: KvBackend,
  options: KvSharedStateOptions,
): SharedState {
  const { logger, now } = options
  const ttlUntil = (untilSeconds: number) =>
    Math.max(1, Math.ceil(untilSeconds - now().getTime() / 1000))
  return {
    claimOnce(key, untilSeconds) {
      const at = `once/${key}`
      const write = { key: at, value: String(untilSeconds), ttlSeconds: ttlUntil(untilSeconds) }
      return backend.commit([{ key: at, revision: undefined }], [write])
    },
    async raise(key, value, untilSeconds) {
      const at = `once/${key}`
      // Ends: each lost race means another writer stored its value first, and once a value as
      // great as ours is there the answer is false.
      for (;;) {
        const entry = await backend.get(at)
        const held = entry === undefined ? undefined : Number(entry.value)
        if (entry !== undefined && !Number.isFinite(held)) {
          logger.warn({ key: at }, 'skipped a value that is not a number: it will be replaced')
        } else if (held !== undefined && held >= value) return false
        const write = { key: at, value: String(value), ttlSeconds: ttlUntil(untilSeconds) }
        if (await backend.commit([{ key: at, revision: entry?.revision }], [write])) return true
      }
    },
    failures: createKvFailureFeed(backend, {
      ...options,
      origin: randomBytes(6).toString('base64url'),
    }),
  }
}
