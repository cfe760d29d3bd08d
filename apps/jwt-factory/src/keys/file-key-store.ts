import { basename, relative } from 'node:path'
import {
  generateSigningKey,
  signingKeyFromPem,
  toJwks,
  verificationKeyFromPem,
  type Jwks,
  type SigningAlgorithm,
  type SigningKey,
  type VerificationKey,
} from '@jwt-factory/jwt'
import { ConflictError, type Logger } from '@jwt-factory/server'
import { isValidKeyId } from './key-id.ts'
import { KeyFiles } from './key-files.ts'

/** The keys of one keyId (service): the active signing key and every earlier key still published. */
export interface KeyRing {
  readonly keyId: string
  readonly active: SigningKey
  /** Every live key by kid, the active one included. */
  readonly keys: ReadonlyMap<string, SigningKey>
}

export interface FileKeyStoreOptions {
  dir: string
  /** Algorithm of new keys; loaded keys keep the algorithm their type allows. */
  algorithm: SigningAlgorithm
  logger: Logger
}

/**
 * Keys per keyId, in memory for every request and on disk the moment they change: nothing is
 * lost on restart, and no request ever reads or parses a PEM. Changes to one keyId run one at a
 * time, so concurrent `GET /keys/x` calls create exactly one key.
 */
export class FileKeyStore {
  readonly #files: KeyFiles
  readonly #options: FileKeyStoreOptions
  readonly #rings = new Map<string, KeyRing>()
  readonly #locks = new Map<string, Promise<unknown>>()
  #jwks: Jwks | undefined

  private constructor(options: FileKeyStoreOptions) {
    this.#options = options
    this.#files = new KeyFiles(options.dir)
  }

  /** Loads every key in the folder. A file that cannot be used is reported by name and skipped. */
  static async open(options: FileKeyStoreOptions): Promise<FileKeyStore> {
    const store = new FileKeyStore(options)
    await store.#load()
    return store
  }

  get dir(): string {
    return this.#options.dir
  }

  keyIds(): string[] {
    return [...this.#rings.keys()].sort()
  }

  get(keyId: string): KeyRing | undefined {
    return this.#rings.get(keyId)
  }

  /** The key a token names by kid, or the active key for a token without kid (jsonwebtoken's). */
  lookup(keyId: string, kid: string | undefined): VerificationKey | undefined {
    const ring = this.#rings.get(keyId)
    return kid === undefined ? ring?.active : ring?.keys.get(kid)
  }

  /** Every live public key of every keyId; rebuilt only when keys change. */
  jwks(): Jwks {
    this.#jwks ??= toJwks([...this.#rings.values()].flatMap((ring) => [...ring.keys.values()]))
    return this.#jwks
  }

  /** Creates keyId's first key unless it has one. */
  ensure(keyId: string): Promise<{ ring: KeyRing; created: boolean }> {
    const existing = this.#rings.get(keyId)
    if (existing) return Promise.resolve({ ring: existing, created: false })
    return this.#exclusive(keyId, async () => {
      const ring = this.#rings.get(keyId)
      if (ring) return { ring, created: false }
      const key = await generateSigningKey(this.#options.algorithm)
      await this.#files.writeActive(keyId, key)
      return { ring: this.#set(keyId, key, []), created: true }
    })
  }

  /** A new key becomes the active one; earlier keys stay published and keep verifying. */
  rotate(keyId: string): Promise<KeyRing> {
    return this.#exclusive(keyId, async () => {
      const ring = this.#rings.get(keyId)
      const key = await generateSigningKey(this.#options.algorithm)
      // The old active key is safe in previous/ before the active files are replaced.
      if (ring) await this.#files.writePrevious(keyId, ring.active)
      await this.#files.writeActive(keyId, key)
      return this.#set(keyId, key, ring ? [...ring.keys.values()] : [])
    })
  }

  /** Retires one earlier key: it leaves the JWKS and its tokens stop verifying. */
  retire(keyId: string, kid: string): Promise<boolean> {
    return this.#exclusive(keyId, async () => {
      const ring = this.#rings.get(keyId)
      if (!ring || !ring.keys.has(kid)) return false
      if (ring.active.kid === kid) {
        throw new ConflictError(
          `kid ${kid} is the active key of ${keyId}: rotate first (POST /keys/${keyId})`,
        )
      }
      await this.#files.removePrevious(keyId, kid)
      this.#set(
        keyId,
        ring.active,
        [...ring.keys.values()].filter((k) => k.kid !== kid),
      )
      return true
    })
  }

  /** Removes a keyId with all its keys, from memory and disk. */
  remove(keyId: string): Promise<boolean> {
    return this.#exclusive(keyId, async () => {
      if (!this.#rings.has(keyId)) return false
      await this.#files.removeAll(keyId)
      this.#rings.delete(keyId)
      this.#jwks = undefined
      return true
    })
  }

  /** Writes every key to the folder (the original's /dump); idempotent. Returns the keyIds. */
  async dump(): Promise<string[]> {
    const keyIds = this.keyIds()
    for (const keyId of keyIds) {
      await this.#exclusive(keyId, async () => {
        const ring = this.#rings.get(keyId)
        if (!ring) return
        await this.#files.writeActive(keyId, ring.active)
        for (const key of ring.keys.values()) {
          if (key.kid !== ring.active.kid) await this.#files.writePrevious(keyId, key)
        }
      })
    }
    return keyIds
  }

  #set(keyId: string, active: SigningKey, others: SigningKey[]): KeyRing {
    const keys = new Map(others.map((k) => [k.kid, k]))
    keys.delete(active.kid)
    keys.set(active.kid, active)
    const ring = { keyId, active, keys }
    this.#rings.set(keyId, ring)
    this.#jwks = undefined
    return ring
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

  async #load(): Promise<void> {
    const { logger, algorithm } = this.#options
    await this.#files.prepare()
    const { keyIds, orphans } = await this.#files.listActive()
    for (const orphan of orphans)
      logger.warn({ file: orphan }, `skipped ${orphan}: no private key beside it`)
    for (const keyId of keyIds) {
      const file = this.#files.activePrivate(keyId)
      if (!isValidKeyId(keyId)) {
        logger.warn(
          { file: this.#name(file) },
          `skipped ${this.#name(file)}: "${keyId}" is not a valid keyId`,
        )
        continue
      }
      const active = await this.#readKey(file, algorithm)
      if (!active) continue
      await this.#repairPublicFile(keyId, active)
      const previous: SigningKey[] = []
      for (const path of await this.#files.listPrevious(keyId)) {
        const key = await this.#readKey(path, algorithm)
        if (key) previous.push(key)
      }
      this.#set(keyId, active, previous)
    }
    logger.info(
      { keyIds: this.keyIds().length, dir: this.dir },
      `loaded keys for ${this.keyIds().join(', ') || 'no keyId'}`,
    )
  }

  async #readKey(path: string, algorithm: SigningAlgorithm): Promise<SigningKey | undefined> {
    try {
      return await signingKeyFromPem(await this.#files.read(path), algorithm)
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      this.#options.logger.warn(
        { file: this.#name(path) },
        `skipped ${this.#name(path)}: ${reason}`,
      )
      return undefined
    }
  }

  /** The public file is derived from the private one; a crash between their writes is mended here. */
  async #repairPublicFile(keyId: string, key: SigningKey): Promise<void> {
    const path = this.#files.activePublic(keyId)
    const current = await this.#files.read(path).catch(() => undefined)
    const matches =
      current !== undefined &&
      (await verificationKeyFromPem(current, key.alg).then(
        (k) => k.kid === key.kid,
        () => false,
      ))
    if (!matches) {
      this.#options.logger.warn(
        { file: this.#name(path) },
        `rewrote ${this.#name(path)} from ${basename(this.#files.activePrivate(keyId))}`,
      )
      await this.#files.writePublic(keyId, key)
    }
  }

  #name = (path: string) => relative(this.#options.dir, path) || basename(path)
}
