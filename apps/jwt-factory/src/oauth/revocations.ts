import type { Logger } from '@jwt-factory/server'
import type { DocumentSource } from '../stores/document-source.ts'
import { WatchedSource } from '../stores/watched-source.ts'
import { revocationsFileOf, type Revocation, type RevocationsFile } from './revocations-file.ts'

export interface RevocationStoreOptions {
  /** REVOCATIONS_FILE, or the revocations in etcd (stores/factory-store.ts). */
  source: DocumentSource<RevocationsFile>
  logger: Logger
  /** Take in what another process (a second factory on the same store) revokes. */
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
 * Revoked tokens by `jti` (RFC 7009), in memory for every check and stored the moment one is
 * added, so a revocation survives a restart. The source is watched as the users are, and read
 * again atomically at every revocation, so what another factory on the same store revokes is
 * taken in too; a reload only ever adds (a revocation is never taken back). Entries are dropped
 * once their token can no longer verify anyway, when the source is next written (in etcd each
 * expires by itself): the store holds live revocations only, those revoked within one token
 * lifetime.
 */
export class RevocationStore {
  readonly #options: RevocationStoreOptions
  /** jti → exp: what this process revoked and what the store held at each load, until expired. */
  readonly #revoked = new Map<string, number>()
  #watched: WatchedSource<RevocationsFile> | undefined

  private constructor(options: RevocationStoreOptions) {
    this.#options = options
  }

  /** Loads the revocations (none stored: none). Invalid ones throw RevocationsFileError. */
  static async open(options: RevocationStoreOptions): Promise<RevocationStore> {
    const store = new RevocationStore(options)
    const { source, logger, watch } = options
    const load = ({ revoked }: RevocationsFile) => store.#add(revoked)
    const holds = 'revocations'
    store.#watched = await WatchedSource.open({ source, logger, load, holds, watch: !!watch })
    return store
  }

  get where(): string {
    return this.#options.source.where
  }

  /** Takes in what the source holds now if it changed (the watch does this by itself). */
  refresh(): Promise<boolean> {
    return this.#watched?.refresh() ?? Promise.resolve(false)
  }

  close(): void {
    this.#watched?.close()
  }

  /** From memory, never waiting on the store: it is asked at every verification. */
  isRevoked(jti: unknown): boolean {
    return typeof jti === 'string' && this.#revoked.has(jti)
  }

  /**
   * Revokes `jti` until `exp` (the token's, in seconds). Seen by isRevoked at once, before the
   * write: if the store fails, this process still refuses the token, and the caller hears of the
   * failure. Resolves once the store holds it.
   */
  async revoke(jti: string, exp: number): Promise<void> {
    this.#add([{ jti, exp }])
    const written = await this.#options.source.update(({ revoked }) =>
      revocationsFileOf([...revoked.filter((r) => r.jti !== jti && this.#live(r)), { jti, exp }]),
    )
    this.#add(written.revoked)
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
