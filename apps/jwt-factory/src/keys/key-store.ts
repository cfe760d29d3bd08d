import {
  generateSigningKey,
  toJwks,
  type Jwks,
  type KeySource,
  type SigningAlgorithm,
  type SigningKey,
  type VerificationKey,
} from '@jwt-factory/jwt'
import { ConflictError, type Logger } from '@jwt-factory/server'
import type { KeyRingSource, RingKeys, StoredRing } from './key-ring-source.ts'

/** The keys of one keyId (service): the active signing key and every earlier key still published. */
export interface KeyRing {
  readonly keyId: string
  readonly active: SigningKey
  /** Every live key by kid, the active one included. */
  readonly keys: ReadonlyMap<string, SigningKey>
}

export interface KeyStoreOptions {
  /** The keys folder (file-key-ring-source.ts) or a KvBackend (kv-key-ring-source.ts). */
  source: KeyRingSource
  /** Algorithm of new keys; loaded keys keep the algorithm their type allows. */
  algorithm: SigningAlgorithm
  logger: Logger
  /** Follow the changes other factories make to the same store. */
  watch?: boolean
  /** The clock of activeSince; tests move it. */
  now?: () => Date
}

type NextRing = RingKeys | undefined

/**
 * A change computed from a ring another factory changed first is computed once more from the
 * ring it adopted; a second loss means the keyId is being changed without pause, and says so.
 */
const ATTEMPTS = 2

/** Least time between two reads of one keyId for kids memory does not know (keySource). */
export const UNKNOWN_KID_COOLDOWN_MS = 1000

const keyOf = (key: VerificationKey) => ({ key: key.publicKey, algorithms: [key.alg] })

/**
 * Keys per keyId, in memory for every request and in the source the moment they change: nothing
 * is lost on restart, and no request ever reads the store or parses a PEM. Changes to one keyId
 * run one at a time here, and each is stored only if the ring is still the one it was computed
 * from; otherwise the store's ring is adopted. So concurrent `GET /keys/x` calls, at one factory
 * or at several, create exactly one key, and two rotations at once make one new active key.
 */
export class KeyStore {
  readonly #options: KeyStoreOptions
  readonly #rings = new Map<string, { ring: KeyRing; stored: StoredRing }>()
  /** Bumped at every change of a keyId in memory, so a reload can tell it read something older. */
  readonly #changes = new Map<string, number>()
  readonly #locks = new Map<string, Promise<unknown>>()
  /** When a kid memory did not know made this store read keyId (epoch ms). */
  readonly #unknownKidReads = new Map<string, number>()
  #jwks: Jwks | undefined
  #watch: { close(): void } | undefined

  private constructor(options: KeyStoreOptions) {
    this.#options = options
  }

  /** Loads every ring. One that cannot be used is reported by the source and skipped. */
  static async open(options: KeyStoreOptions): Promise<KeyStore> {
    const store = new KeyStore(options)
    // Watching before the first read, so no change made meanwhile goes unseen.
    if (options.watch) store.#watch = options.source.watch((keyId) => store.#onChange(keyId))
    await store.#reloadAll()
    const keyIds = store.keyIds()
    options.logger.info(
      { keyIds: keyIds.length, where: store.where },
      `loaded keys for ${keyIds.join(', ') || 'no keyId'}`,
    )
    return store
  }

  get where(): string {
    return this.#options.source.where
  }

  keyIds(): string[] {
    return [...this.#rings.keys()].sort()
  }

  get(keyId: string): KeyRing | undefined {
    return this.#rings.get(keyId)?.ring
  }

  /** The key a token names by kid, or the active key for a token without kid (jsonwebtoken's). */
  lookup(keyId: string, kid: string | undefined): VerificationKey | undefined {
    const ring = this.get(keyId)
    return kid === undefined ? ring?.active : ring?.keys.get(kid)
  }

  /**
   * keyId's keys for verifyToken. In a shared store a kid memory does not know yet is read from
   * the store once before it is refused: another factory (or a worker of this one, each a
   * factory on etcd) may sign with a key it made a moment ago, before the watch brings it here.
   * At most one such read per keyId per UNKNOWN_KID_COOLDOWN_MS, and only for a keyId it holds,
   * so made-up kids and keyIds cannot drive the store.
   */
  keySource(keyId: string, name: string): KeySource {
    return {
      name,
      resolve: async ({ kid }) => {
        const key = this.lookup(keyId, kid)
        // Only for a keyId memory holds: a caller's made-up keyIds (an introspected sub) read nothing.
        if (key || kid === undefined || !this.#options.source.shared || !this.#rings.has(keyId)) {
          return key && keyOf(key)
        }
        if (!this.#mayReadForUnknownKid(keyId)) return undefined
        // The store out of reach refuses the token as an unknown kid would be: nothing to verify with.
        await this.#reload(keyId).catch((err: unknown) => this.#keptInMemory(keyId, err))
        const found = this.lookup(keyId, kid)
        return found && keyOf(found)
      },
    }
  }

  #mayReadForUnknownKid(keyId: string): boolean {
    const now = this.#now().getTime()
    const last = this.#unknownKidReads.get(keyId)
    if (last !== undefined && now - last < UNKNOWN_KID_COOLDOWN_MS) return false
    this.#unknownKidReads.set(keyId, now)
    return true
  }

  /** Every live public key of every keyId; rebuilt only when keys change. */
  jwks(): Jwks {
    this.#jwks ??= toJwks([...this.#rings.values()].flatMap(({ ring }) => [...ring.keys.values()]))
    return this.#jwks
  }

  /** Creates keyId's first key unless it has one (here, or made meanwhile at another factory). */
  ensure(keyId: string): Promise<{ ring: KeyRing; created: boolean }> {
    const existing = this.get(keyId)
    if (existing) return Promise.resolve({ ring: existing, created: false })
    return this.#change(keyId, async () => {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const ring = this.get(keyId)
        if (ring) return { ring, created: false }
        const key = await generateSigningKey(this.#options.algorithm)
        const result = await this.#replace(keyId, { active: key, previous: [] })
        if (result.ok && result.ring) return { ring: result.ring, created: true }
      }
      throw this.#busy(keyId)
    })
  }

  /**
   * A new key becomes the active one; earlier keys stay published and keep verifying. In a
   * shared store the change starts from the ring as stored now (memory may be behind a watch),
   * and a key another factory made active after this rotation was asked for is the answer here
   * too: two rotations at once make one new key, not two.
   */
  rotate(keyId: string): Promise<KeyRing> {
    const asked = this.#now().getTime()
    const { source, algorithm } = this.#options
    return this.#change(keyId, async () => {
      if (source.shared) await this.#refresh(keyId)
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const entry = this.#rings.get(keyId)
        if (source.shared && entry && (entry.stored.activeSince ?? -Infinity) >= asked) {
          return entry.ring
        }
        const key = await generateSigningKey(algorithm)
        const previous = entry ? [...entry.ring.keys.values()] : []
        const activeSince = this.#now().getTime()
        const result = await this.#replace(keyId, { active: key, previous, activeSince })
        if (result.ok && result.ring) return result.ring
      }
      throw this.#busy(keyId)
    })
  }

  /** Retires one earlier key: it leaves the JWKS and its tokens stop verifying. */
  retire(keyId: string, kid: string): Promise<boolean> {
    return this.#change(keyId, async () => {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const ring = this.get(keyId)
        if (!ring || !ring.keys.has(kid)) return false
        if (ring.active.kid === kid) {
          throw new ConflictError(
            `kid ${kid} is the active key of ${keyId}: rotate first (POST /keys/${keyId})`,
          )
        }
        const previous = [...ring.keys.values()].filter((k) => k.kid !== kid && k !== ring.active)
        const { activeSince } = this.#rings.get(keyId)!.stored
        if ((await this.#replace(keyId, { active: ring.active, previous, activeSince })).ok) {
          return true
        }
      }
      throw this.#busy(keyId)
    })
  }

  /** Removes a keyId with all its keys, from memory and the store. */
  remove(keyId: string): Promise<boolean> {
    return this.#change(keyId, async () => {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        if (!this.get(keyId)) return false
        if ((await this.#replace(keyId, undefined)).ok) return true
      }
      throw this.#busy(keyId)
    })
  }

  /** Writes every ring whole (the original's /dump, which rewrote every file). Returns the keyIds. */
  async dump(): Promise<string[]> {
    const keyIds = this.keyIds()
    for (const keyId of keyIds) {
      await this.#change(keyId, async () => {
        const entry = this.#rings.get(keyId)
        if (entry) await this.#replace(keyId, entry.stored, { whole: true })
      })
    }
    return keyIds
  }

  /** Stops following other factories' changes. */
  close(): void {
    this.#watch?.close()
    this.#watch = undefined
  }

  /**
   * Stores `next` if keyId's ring is still the one in memory; else memory takes the stored ring
   * (undefined: removed), and the caller decides from it. `whole` writes every key, not only
   * what differs from the ring in memory.
   */
  async #replace(
    keyId: string,
    next: NextRing,
    { whole = false } = {},
  ): Promise<{ ok: boolean; ring: KeyRing | undefined }> {
    const before = this.#rings.get(keyId)?.stored
    const { source } = this.#options
    // Where other processes sign from the same rings (the workers of one factory), they may sign
    // with the new key before this change returns here: it verifies here from now on. Whatever
    // the result, #apply below replaces the ring as a whole.
    if (source.shared && next) this.#verifyAlso(keyId, next.active)
    const result = await source.replace(keyId, before?.version, next, whole ? undefined : before)
    const stored = result.ok ? next && { ...next, version: result.version } : result.current
    return { ok: result.ok, ring: this.#apply(keyId, stored) }
  }

  #verifyAlso(keyId: string, key: SigningKey): void {
    const entry = this.#rings.get(keyId)
    if (!entry || entry.ring.keys.has(key.kid)) return
    const keys = new Map([...entry.ring.keys, [key.kid, key]])
    this.#rings.set(keyId, { ...entry, ring: { ...entry.ring, keys } })
    this.#jwks = undefined
  }

  #apply(keyId: string, stored: StoredRing | undefined): KeyRing | undefined {
    this.#changes.set(keyId, (this.#changes.get(keyId) ?? 0) + 1)
    this.#jwks = undefined
    if (!stored) {
      this.#rings.delete(keyId)
      return undefined
    }
    const keys = new Map(stored.previous.map((k) => [k.kid, k]))
    keys.delete(stored.active.kid)
    keys.set(stored.active.kid, stored.active)
    const ring: KeyRing = { keyId, active: stored.active, keys }
    const previous = [...keys.values()].filter((k) => k !== stored.active)
    this.#rings.set(keyId, { ring, stored: { ...stored, previous } })
    return ring
  }

  #onChange(keyId: string | undefined): void {
    const reload = keyId === undefined ? this.#reloadAll() : this.#reload(keyId)
    reload.catch((err: unknown) => this.#keptInMemory(keyId, err))
  }

  /** keyId as stored now. One that is stored but cannot be used throws: memory keeps its ring. */
  #reload(keyId: string): Promise<void> {
    return this.#exclusive(keyId, () => this.#refresh(keyId))
  }

  /** #reload's read, for a caller already holding keyId's turn. */
  async #refresh(keyId: string): Promise<void> {
    const stored = await this.#options.source.load(keyId)
    if (stored ? !this.#holds(keyId, stored) : this.#rings.has(keyId)) this.#apply(keyId, stored)
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date()
  }

  /** Every ring as stored now, except where memory changed after the read began (it is newer). */
  async #reloadAll(): Promise<void> {
    const seen = new Map(this.#changes)
    const all = await this.#options.source.loadAll()
    for (const [keyId, stored] of all) {
      await this.#exclusive(keyId, async () => {
        const unchanged = this.#changes.get(keyId) === seen.get(keyId)
        if (unchanged && !this.#holds(keyId, stored)) this.#apply(keyId, stored)
      })
    }
    // Gone from the listing: removed, or stored but unusable (then #reload keeps it in memory).
    for (const keyId of this.keyIds()) {
      if (!all.has(keyId)) await this.#reload(keyId).catch((err) => this.#keptInMemory(keyId, err))
    }
  }

  /** Memory already holds this version (the echo of a change made here): nothing to reload. */
  #holds(keyId: string, stored: StoredRing): boolean {
    return stored.version !== undefined && stored.version === this.#rings.get(keyId)?.stored.version
  }

  #keptInMemory(keyId: string | undefined, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err)
    this.#options.logger.warn(
      { keyId, where: this.where },
      `kept the keys in memory: reading ${keyId ?? 'every keyId'} again failed: ${reason}`,
    )
  }

  #busy(keyId: string): ConflictError {
    return new ConflictError(
      `the keys of ${keyId} were changed at another factory during this change: try again`,
    )
  }

  /**
   * A change of keyId: one at a time here and, when the source can (the workers of one
   * factory), at every process sharing it, which then take turns instead of racing. Its turn is
   * taken before this store's own, so a reload of what another process stored meanwhile is
   * never queued behind a change waiting for it.
   */
  #change<T>(keyId: string, task: () => Promise<T>): Promise<T> {
    const { source } = this.#options
    const here = () => this.#exclusive(keyId, task)
    return source.exclusive ? source.exclusive(keyId, here) : here()
  }

  #exclusive<T>(keyId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(keyId) ?? Promise.resolve()
    const run = previous.then(task, task)
    const settled = run.catch(() => undefined)
    this.#locks.set(keyId, settled)
    void settled.then(() => {
      if (this.#locks.get(keyId) === settled) this.#locks.delete(keyId)
    })
    return run
  }
}
