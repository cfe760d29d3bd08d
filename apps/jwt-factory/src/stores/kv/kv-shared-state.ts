import { randomBytes } from 'node:crypto'
import type { Logger } from '@jwt-factory/server'
import type { KvBackend } from './kv-backend.ts'
import type { SharedState } from '../shared-state.ts'
import { createKvFailureFeed } from './kv-failure-feed.ts'

/** What a held value becomes once taken; kept a little, then forgotten. */
const TAKEN = 'taken '
const TAKEN_SECONDS = 60
const unique = () => randomBytes(9).toString('base64url')

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
 * race, and forgets it by itself after. What is held for one taker is under `held/`, taken by a
 * delete on the revision read. Failures are keys under `failures/` (kv-failure-feed.ts).
 */
export function createKvSharedState(
  backend: KvBackend,
  options: KvSharedStateOptions,
): SharedState {
  const { logger, now } = options
  const ttlUntil = (untilSeconds: number) =>
    Math.max(1, Math.ceil(untilSeconds - now().getTime() / 1000))
  return {
    async claimOnce(key, untilSeconds) {
      const at = `once/${key}`
      const value = `${untilSeconds} ${unique()}`
      const write = { key: at, value, ttlSeconds: ttlUntil(untilSeconds) }
      if (await backend.commit([{ key: at, revision: undefined }], [write])) return true
      // A retried commit whose first try landed fails its compare: the claim is then this one.
      return (await backend.get(at))?.value === value
    },
    async raise(key, value, untilSeconds) {
      const at = `once/${key}`
      const mine = `${value} ${unique()}`
      // Ends: each lost race means another writer stored its value first, and once a value as
      // great as ours is there the answer is false (unless it is ours, from a retried commit).
      for (;;) {
        const entry = await backend.get(at)
        if (entry?.value === mine) return true
        const held = entry === undefined ? undefined : Number(entry.value.split(' ')[0])
        if (entry !== undefined && !Number.isFinite(held)) {
          logger.warn({ key: at }, 'skipped a value that is not a number: it will be replaced')
        } else if (held !== undefined && held >= value) return false
        const write = { key: at, value: mine, ttlSeconds: ttlUntil(untilSeconds) }
        if (await backend.commit([{ key: at, revision: entry?.revision }], [write])) return true
      }
    },
    async hold(key, value, untilSeconds) {
      const write = { key: `held/${key}`, value, ttlSeconds: ttlUntil(untilSeconds) }
      await backend.commit([], [write])
    },
    async take(key) {
      const at = `held/${key}`
      // Taken is a marker, not a delete, so a retried commit can tell that its first try took it.
      const marker = `${TAKEN}${unique()}`
      // Ends: a lost race means another taker marked it, and the next read says so.
      for (;;) {
        const entry = await backend.get(at)
        if (entry === undefined || entry.value.startsWith(TAKEN)) return undefined
        const write = { key: at, value: marker, ttlSeconds: TAKEN_SECONDS }
        if (await backend.commit([{ key: at, revision: entry.revision }], [write])) {
          return entry.value
        }
        if ((await backend.get(at))?.value === marker) return entry.value
      }
    },
    failures: createKvFailureFeed(backend, {
      ...options,
      origin: randomBytes(6).toString('base64url'),
    }),
  }
}
