import type { KvBackend, KvEntry } from '../stores/kv/kv-backend.ts'

/** Expired entries are swept at most this often; a read never sees one meanwhile. */
const SWEEP_EVERY_MS = 1000

interface Held {
  value: string
  revision: number
  expiresAtMs: number | undefined
}

/**
 * A KvBackend in this process's memory, for what the workers of one factory on files must agree
 * on at once (TOTP steps, client assertions, challenges, failed logins): the primary keeps it,
 * kv-shared-state.ts runs on it at each worker through ipc-kv-backend.ts. Nothing is persisted:
 * as with one process, a restart forgets it. A ttl runs on `now`, which tests move.
 */
export function memoryKvBackend(now: () => number = Date.now): KvBackend {
  const entries = new Map<string, Held>()
  const watches = new Set<{ prefix: string; onChange: (keys: readonly string[]) => void }>()
  let revision = 0
  let sweptAtMs = now()
  const live = (key: string): Held | undefined => {
    const held = entries.get(key)
    if (held?.expiresAtMs !== undefined && held.expiresAtMs <= now()) {
      entries.delete(key)
      return undefined
    }
    return held
  }
  const entry = (key: string, held: Held): KvEntry => ({
    key,
    value: held.value,
    revision: String(held.revision),
  })
  const sweep = () => {
    if (now() - sweptAtMs < SWEEP_EVERY_MS) return
    sweptAtMs = now()
    for (const key of entries.keys()) live(key)
  }
  return {
    description: "the factory's primary process (memory)",
    async get(key) {
      const held = live(key)
      return held && entry(key, held)
    },
    async list(prefix) {
      const keys = [...entries.keys()].filter((k) => k.startsWith(prefix)).sort()
      return keys.flatMap((key) => {
        const held = live(key)
        return held ? [entry(key, held)] : []
      })
    },
    async commit(expect, writes) {
      sweep()
      for (const { key, revision: expected } of expect) {
        const held = live(key)
        if ((held && String(held.revision)) !== expected) return false
      }
      revision++
      for (const { key, value, ttlSeconds } of writes) {
        if (value === undefined) entries.delete(key)
        else {
          const expiresAtMs = ttlSeconds === undefined ? undefined : now() + ttlSeconds * 1000
          entries.set(key, { value, revision, expiresAtMs })
        }
      }
      const keys = writes.map((w) => w.key)
      for (const { prefix, onChange } of watches) {
        const changed = keys.filter((k) => k.startsWith(prefix))
        if (changed.length > 0) onChange(changed)
      }
      return true
    },
    watch(prefix, onChange) {
      const watch = { prefix, onChange }
      watches.add(watch)
      return { close: () => watches.delete(watch) }
    },
    async close() {
      watches.clear()
    },
  }
}
