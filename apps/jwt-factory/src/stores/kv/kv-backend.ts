/**
 * The whole of what the factory asks of a distributed key-value store: a few reads, one atomic
 * compare-and-write, expiring keys and a watch. etcd implements it (stores/etcd/etcd-backend.ts);
 * Consul would be one module beside it (KV with ModifyIndex checks in /v1/txn, sessions for the
 * expiring keys, blocking queries for the watch). Keys are relative to the backend's own prefix
 * (ETCD_PREFIX), with `/` between parts: `users/alice`, `keys/servicea`.
 *
 * Every method rejects with StoreUnavailableError when the store cannot be reached in time.
 */
export interface KvBackend {
  /** What and where, for logs and 503s: `etcd http://127.0.0.1:2379,http://127.0.0.1:22379`. */
  readonly description: string
  get(key: string): Promise<KvEntry | undefined>
  /** Every entry whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<KvEntry[]>
  /**
   * All `writes` at once if every expectation still holds, else nothing and false. A write with
   * ttlSeconds is removed by the store that long after (an etcd lease).
   */
  commit(expect: readonly KvExpectation[], writes: readonly KvWrite[]): Promise<boolean>
  /**
   * Calls onChange after any change under `prefix`, by any writer, with the keys changed; once
   * the watch is live, and after the store was unreachable, with no keys (reload everything:
   * changes may have been missed). Never throws; an outage is logged and the watch resumes.
   */
  watch(prefix: string, onChange: (keys: readonly string[]) => void): KvWatch
  close(): Promise<void>
}

export interface KvEntry {
  key: string
  value: string
  /** Opaque: changes at every write of this key (etcd's mod_revision). */
  revision: string
}

/** `revision` undefined: the key must not exist. */
export interface KvExpectation {
  key: string
  revision: string | undefined
}

/** `value` undefined deletes the key. */
export interface KvWrite {
  key: string
  value?: string
  ttlSeconds?: number
}

export interface KvWatch {
  close(): void
}
