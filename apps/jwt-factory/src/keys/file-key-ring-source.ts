import { basename, relative } from 'node:path'
import {
  signingKeyFromPem,
  verificationKeyFromPem,
  type SigningAlgorithm,
  type SigningKey,
} from '@jwt-factory/jwt'
import type { Logger } from '@jwt-factory/server'
import { isValidKeyId } from './key-id.ts'
import { KeyFiles } from './key-files.ts'
import type { KeyRingSource, RingReplaceResult, StoredRing } from './key-ring-source.ts'

export interface FileKeyRingSourceOptions {
  dir: string
  /** Preferred algorithm of loaded RSA keys (PS256 or RS256); other keys keep their type's. */
  algorithm: SigningAlgorithm
  logger: Logger
}

const UNVERSIONED: RingReplaceResult = Object.freeze({ ok: true, version: undefined })

/**
 * The keys folder (key-files.ts, the original demo's names) as a KeyRingSource. One process owns
 * a folder, so there is no version to expect and no other writer to watch. Each change writes
 * only the files that differ, in an order that leaves the old or the new ring after a crash.
 */
export class FileKeyRingSource implements KeyRingSource {
  readonly #files: KeyFiles
  readonly #options: FileKeyRingSourceOptions
  readonly shared = false

  constructor(options: FileKeyRingSourceOptions) {
    this.#options = options
    this.#files = new KeyFiles(options.dir)
  }

  get where(): string {
    return this.#options.dir
  }

  /** A missing folder is no rings yet. A file that cannot be used is reported by name and skipped. */
  async loadAll(): Promise<Map<string, StoredRing>> {
    const rings = new Map<string, StoredRing>()
    if (!(await this.#files.prepare())) return rings
    const { keyIds, orphans } = await this.#files.listActive()
    for (const orphan of orphans) {
      this.#options.logger.warn({ file: orphan }, `skipped ${orphan}: no private key beside it`)
    }
    for (const keyId of keyIds) {
      if (!isValidKeyId(keyId)) {
        const file = this.#name(this.#files.activePrivate(keyId))
        this.#options.logger.warn({ file }, `skipped ${file}: "${keyId}" is not a valid keyId`)
        continue
      }
      const ring = await this.#read(keyId)
      if (ring) rings.set(keyId, ring)
    }
    return rings
  }

  async load(keyId: string): Promise<StoredRing | undefined> {
    if (!isValidKeyId(keyId) || !(await this.#files.hasActive(keyId))) return undefined
    return this.#read(keyId)
  }

  async replace(
    keyId: string,
    _expected: string | undefined,
    next: { active: SigningKey; previous: SigningKey[] } | undefined,
    before: StoredRing | undefined,
  ): Promise<RingReplaceResult> {
    if (!next) {
      await this.#files.removeAll(keyId)
      return UNVERSIONED
    }
    const stored = new Set(before?.previous.map((k) => k.kid))
    // Earlier keys first, the old active one among them: it is safe in previous/ before the
    // active files are replaced. Without `before` every key is written (the original's /dump).
    for (const key of next.previous) {
      if (!stored.has(key.kid)) await this.#files.writePrevious(keyId, key)
    }
    if (before?.active.kid !== next.active.kid) await this.#files.writeActive(keyId, next.active)
    const kept = new Set(next.previous.map((k) => k.kid))
    for (const kid of stored) {
      if (!kept.has(kid)) await this.#files.removePrevious(keyId, kid)
    }
    return UNVERSIONED
  }

  watch(): { close(): void } {
    return { close() {} }
  }

  async #read(keyId: string): Promise<StoredRing | undefined> {
    const active = await this.#readKey(this.#files.activePrivate(keyId))
    if (!active) return undefined
    await this.#repairPublicFile(keyId, active)
    const previous: SigningKey[] = []
    for (const path of await this.#files.listPrevious(keyId)) {
      const key = await this.#readKey(path)
      // A rotation killed between its two writes leaves the active key in previous/ as well.
      if (key && key.kid !== active.kid) previous.push(key)
    }
    return { active, previous, version: undefined }
  }

  async #readKey(path: string): Promise<SigningKey | undefined> {
    try {
      return await signingKeyFromPem(await this.#files.read(path), this.#options.algorithm)
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
