import { ConflictError, type Logger } from '@jwt-factory/server'
import type { KvBackend, KvEntry } from '../stores/kv/kv-backend.ts'
import type { SealedBox } from '../stores/kv/sealed-box.ts'
import type { KeyRingSource, RingKeys, RingReplaceResult, StoredRing } from './key-ring-source.ts'
import { decodeRingRecord, encodeRingRecord } from './ring-record.ts'

export interface KvKeyRingSourceOptions {
  backend: KvBackend
  /** `keys` for the services' rings, `user-keys` for the user key's. */
  namespace: 'keys' | 'user-keys'
  /** Seals every private key before it leaves the process. */
  box: SealedBox
  logger: Logger
}

/**
 * Rings in a KvBackend, one record per keyId at `<namespace>/<keyId>` (ring-record.ts), so a
 * ring changes in one commit that expects the revision it was computed from: a writer killed
 * half-way leaves nothing partial, and of two writers at once one wins and the other is told.
 */
export class KvKeyRingSource implements KeyRingSource {
  readonly #options: KvKeyRingSourceOptions
  readonly #prefix: string
  readonly shared = true
  /**
   * The ring last read or written per keyId, by revision: the watch's echo of this factory's own
   * write (and a reload of an unchanged record) reuses it instead of opening and importing every
   * private key again.
   */
  readonly #known = new Map<string, StoredRing>()

  constructor(options: KvKeyRingSourceOptions) {
    this.#options = options
    this.#prefix = `${options.namespace}/`
  }

  get where(): string {
    return `${this.#options.backend.description} ${this.#prefix}`
  }

  /** A record that cannot be used is reported by its key (never its value) and skipped. */
  async loadAll(): Promise<Map<string, StoredRing>> {
    const rings = new Map<string, StoredRing>()
    for (const entry of await this.#options.backend.list(this.#prefix)) {
      const keyId = entry.key.slice(this.#prefix.length)
      const ring = await this.#decode(keyId, entry).catch((err: Error) => {
        this.#report(entry, err)
        return undefined
      })
      if (ring) rings.set(keyId, ring)
    }
    return rings
  }

  /** Undefined when nothing is stored; a record that cannot be used is reported and thrown. */
  async load(keyId: string): Promise<StoredRing | undefined> {
    const entry = await this.#options.backend.get(this.#key(keyId))
    if (!entry) return undefined
    return this.#decode(keyId, entry).catch((err: Error) => {
      this.#report(entry, err)
      throw new ConflictError(`${entry.key} is stored but cannot be used: ${err.message}`)
    })
  }

  async replace(
    keyId: string,
    expected: string | undefined,
    next: RingKeys | undefined,
  ): Promise<RingReplaceResult> {
    const { backend, box, namespace } = this.#options
    const key = this.#key(keyId)
    const value = next && encodeRingRecord(namespace, keyId, next, box)
    if (!(await backend.commit([{ key, revision: expected }], [{ key, value }]))) {
      return { ok: false, current: await this.load(keyId) }
    }
    if (next === undefined || value === undefined) {
      this.#known.delete(keyId)
      return { ok: true, version: undefined }
    }
    // The commit does not tell its revision. If the record changed again meanwhile (or cannot be
    // read now), no revision is known: the next change here fails its check and adopts the
    // stored ring, which is what it should build on.
    const entry = await backend.get(key).catch(() => undefined)
    const version = entry?.value === value ? entry.revision : undefined
    if (version !== undefined) this.#known.set(keyId, { ...next, version })
    return { ok: true, version }
  }

  watch(onChange: (keyId: string | undefined) => void): { close(): void } {
    return this.#options.backend.watch(this.#prefix, (keys) => {
      if (keys.length === 0) return onChange(undefined) // changes may have been missed
      for (const key of new Set(keys)) onChange(key.slice(this.#prefix.length))
    })
  }

  #key = (keyId: string) => `${this.#prefix}${keyId}`

  async #decode(keyId: string, entry: KvEntry): Promise<StoredRing> {
    const known = this.#known.get(keyId)
    if (known?.version === entry.revision) return known
    const { namespace, box } = this.#options
    const ring = {
      ...(await decodeRingRecord(namespace, keyId, entry.value, box)),
      version: entry.revision,
    }
    this.#known.set(keyId, ring)
    return ring
  }

  #report(entry: KvEntry, err: Error): void {
    this.#options.logger.warn({ key: entry.key }, `skipped ${entry.key}: ${err.message}`)
  }
}
