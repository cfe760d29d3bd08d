import type { SigningKey } from '@jwt-factory/jwt'

/** One keyId's keys: the active key and every earlier one still published. */
export interface RingKeys {
  active: SigningKey
  previous: SigningKey[]
  /**
   * When the active key became active (epoch ms), in a shared store: a rotation asked before
   * then is answered with it (two rotations at once make one key). Files do not keep it.
   */
  activeSince?: number | undefined
}

/** A ring as stored. */
export interface StoredRing extends RingKeys {
  /** Where the store is at for this ring (etcd's mod_revision); undefined for files. */
  version: string | undefined
}

export type RingReplaceResult =
  | { ok: true; version: string | undefined }
  /** Another writer changed the ring first; what is stored now (undefined: removed). */
  | { ok: false; current: StoredRing | undefined }

/**
 * Where a KeyStore keeps its rings: the keys folder (file-key-ring-source.ts, the original demo's
 * file names) or a KvBackend (kv-key-ring-source.ts, private keys sealed). The KeyStore keeps
 * every ring in memory; this is asked only at start, at each change and when a watch fires.
 */
export interface KeyRingSource {
  /** Names where the keys live, in logs and errors. */
  readonly where: string
  /** Other processes change these rings too (etcd): a change starts from a fresh read. */
  readonly shared: boolean
  /** Every ring. One that cannot be used is reported (by file or key) and skipped. */
  loadAll(): Promise<Map<string, StoredRing>>
  load(keyId: string): Promise<StoredRing | undefined>
  /**
   * Makes `next` keyId's ring (undefined removes it) if the stored one is still at `expected`
   * (undefined: no ring). `before` is the ring the change was computed from, so a file source
   * writes only what changed. All or nothing: a writer killed half-way leaves `before` or `next`.
   */
  replace(
    keyId: string,
    expected: string | undefined,
    next: RingKeys | undefined,
    before: StoredRing | undefined,
  ): Promise<RingReplaceResult>
  /** Calls onChange(keyId) soon after another writer changed a ring; none for a folder. */
  watch(onChange: (keyId: string | undefined) => void): { close(): void }
  /**
   * Runs a change of keyId's ring while no other process using this source changes it (the
   * workers of one factory, workers/): they take turns, as changes in one process do. Absent,
   * writers race and the version check settles it (etcd).
   */
  exclusive?<T>(keyId: string, change: () => Promise<T>): Promise<T>
}
