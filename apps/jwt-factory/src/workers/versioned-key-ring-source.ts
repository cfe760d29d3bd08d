import type {
  KeyRingSource,
  RingKeys,
  RingReplaceResult,
  StoredRing,
} from '../keys/key-ring-source.ts'

/**
 * A keys folder, owned by one process, made shared for the workers that ask it: every ring in
 * memory with a version (a counter of this process), a replace stored only if the ring is still
 * at the version it was computed from (compare-and-set, as on etcd), and a watch that tells of
 * every change. So two rotations at once at two workers make one key. Changes run one at a time.
 */
export class VersionedKeyRingSource implements KeyRingSource {
  readonly shared = true
  readonly #folder: KeyRingSource
  readonly #listeners = new Set<(keyId: string | undefined) => void>()
  #rings: Promise<Map<string, StoredRing>> | undefined
  #counter = 0
  #turn: Promise<unknown> = Promise.resolve()

  constructor(folder: KeyRingSource) {
    this.#folder = folder
  }

  get where(): string {
    return this.#folder.where
  }

  async loadAll(): Promise<Map<string, StoredRing>> {
    return new Map(await this.#all())
  }

  async load(keyId: string): Promise<StoredRing | undefined> {
    return (await this.#all()).get(keyId)
  }

  replace(
    keyId: string,
    expected: string | undefined,
    next: RingKeys | undefined,
    before: StoredRing | undefined,
  ): Promise<RingReplaceResult> {
    return this.#exclusive(async () => {
      const rings = await this.#all()
      const current = rings.get(keyId)
      if (current?.version !== expected) return { ok: false, current }
      try {
        // `before` undefined asks for every file (the /dump); else what differs from the folder.
        await this.#folder.replace(keyId, undefined, next, before && current)
      } catch (err) {
        // Half-written, perhaps: the folder's ring (old or new, never partial) is the truth.
        this.#set(rings, keyId, await this.#folder.load(keyId).catch(() => current))
        throw err
      }
      return { ok: true, version: this.#set(rings, keyId, next)?.version }
    })
  }

  watch(onChange: (keyId: string | undefined) => void): { close(): void } {
    this.#listeners.add(onChange)
    return { close: () => this.#listeners.delete(onChange) }
  }

  /** Read once: this process owns the folder, so nothing else changes it. */
  #all(): Promise<Map<string, StoredRing>> {
    this.#rings ??= this.#folder.loadAll().then((loaded) => {
      const rings = new Map<string, StoredRing>()
      for (const [keyId, ring] of loaded) this.#set(rings, keyId, ring, { quiet: true })
      return rings
    })
    return this.#rings
  }

  #set(
    rings: Map<string, StoredRing>,
    keyId: string,
    ring: RingKeys | undefined,
    { quiet = false } = {},
  ): StoredRing | undefined {
    const stored = ring && { ...ring, version: String(++this.#counter) }
    if (stored) rings.set(keyId, stored)
    else rings.delete(keyId)
    if (!quiet) for (const listener of this.#listeners) listener(keyId)
    return stored
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(task, task)
    this.#turn = run.catch(() => undefined)
    return run
  }
}
