import type { Logger } from '@jwt-factory/server'
import { WatchedFile } from '../stores/watched-file.ts'
import { readRevocationsFile, updateRevocationsFile, type Revocation } from './revocations-file.ts'

export interface RevocationStoreOptions {
  /** REVOCATIONS_FILE. */
  file: string
  logger: Logger
  /** Take in what another process (a second factory on the same file) revokes. */
  watch?: boolean
  now: () => Date
  /**
   * How long an entry outlives its token's `exp`, in seconds: verifiers accept a token for
   * CLOCK_TOLERANCE_SECONDS after it expired, so a revocation dropped at `exp` exactly would let
   * the token back in for that long.
   */
  keepSeconds: number
}

/**
 * Revoked tokens by `jti` (RFC 7009), in memory for every check and on disk the moment one is
 * added, so a revocation survives a restart. The file is watched as the users file is, and read
 * again under its lock at every revocation, so what another factory on the same file revokes is
 * taken in too; a reload only ever adds (a revocation is never taken back). Entries are dropped
 * once their token can no longer verify anyway, when the file is next written: the file holds
 * live revocations only, the tokens revoked within one token lifetime.
 */
export class RevocationStore {
  readonly #options: RevocationStoreOptions
  /** jti → exp: what this process revoked and what the file held at each load, until expired. */
  readonly #revoked = new Map<string, number>()
  #watched: WatchedFile | undefined

  private constructor(options: RevocationStoreOptions) {
    this.#options = options
  }

  /** Loads the file (missing: none revoked). An invalid file throws RevocationsFileError. */
  static async open(options: RevocationStoreOptions): Promise<RevocationStore> {
    const store = new RevocationStore(options)
    const { file, logger, watch } = options
    const load = async () => {
      const { revoked, version } = await readRevocationsFile(file)
      store.#add(revoked)
      return version
    }
    const holds = 'revocations'
    store.#watched = await WatchedFile.open({ file, logger, load, holds, watch: !!watch })
    return store
  }

  get file(): string {
    return this.#options.file
  }

  /** Takes in what the file holds now if it changed (the watch does this by itself). */
  refresh(): Promise<boolean> {
    return this.#watched?.refresh() ?? Promise.resolve(false)
  }

  close(): void {
    this.#watched?.close()
  }

  /** From memory, never waiting on the disk: it is asked at every verification. */
  isRevoked(jti: unknown): boolean {
    return typeof jti === 'string' && this.#revoked.has(jti)
  }

  /**
   * Revokes `jti` until `exp` (the token's, in seconds). Seen by isRevoked at once, before the
   * write: if the disk fails, this process still refuses the token, and the caller hears of the
   * failure. Resolves once the file holds it.
   */
  async revoke(jti: string, exp: number): Promise<void> {
    this.#add([{ jti, exp }])
    const written = await updateRevocationsFile(this.file, (revoked) => [
      ...revoked.filter((r) => r.jti !== jti && this.#live(r)),
      { jti, exp },
    ])
    this.#add(written)
  }

  #live({ exp }: Revocation): boolean {
    return exp + this.#options.keepSeconds >= Math.floor(this.#options.now().getTime() / 1000)
  }

  #add(revocations: readonly Revocation[]): void {
    for (const r of revocations) {
      if (this.#live(r)) this.#revoked.set(r.jti, Math.max(r.exp, this.#revoked.get(r.jti) ?? 0))
    }
    for (const [jti, exp] of this.#revoked) {
      if (!this.#live({ jti, exp })) this.#revoked.delete(jti)
    }
  }
}
