import { access, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDirectory, isAtomicTempFile, writeFileAtomic } from '@jwt-factory/files'
import type { SigningKey } from '@jwt-factory/jwt'

const PRIVATE_SUFFIX = '-private.pem'
const PUBLIC_SUFFIX = '-public.pem'
/** Earlier keys of a keyId live in `previous/<keyId>/<kid>-private.pem`, named by their kid. */
const PREVIOUS_DIR = 'previous'

/**
 * Where a keyId's keys live on disk. The active pair keeps the original demo's names
 * (`<keyId>-private.pem`, `<keyId>-public.pem`), so a keys folder from either program loads in the
 * other. The private file is the source of truth; the public file is derived from it.
 */
export class KeyFiles {
  constructor(readonly dir: string) {}

  activePrivate = (keyId: string) => join(this.dir, `${keyId}${PRIVATE_SUFFIX}`)
  activePublic = (keyId: string) => join(this.dir, `${keyId}${PUBLIC_SUFFIX}`)
  previousDir = (keyId: string) => join(this.dir, PREVIOUS_DIR, keyId)
  previousPrivate = (keyId: string, kid: string) =>
    join(this.previousDir(keyId), `${kid}${PRIVATE_SUFFIX}`)
  previousPublic = (keyId: string, kid: string) =>
    join(this.previousDir(keyId), `${kid}${PUBLIC_SUFFIX}`)

  /**
   * At load: false when the folder does not exist yet (it is made at the first write). Else it
   * is narrowed to 0700 (git checks keys/ out 0755) and the leftovers of killed writes go.
   */
  async prepare(): Promise<boolean> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined
      throw err
    })
    if (names === undefined) return false
    await ensureDirectory(this.dir, 0o700)
    await this.#removeTempFiles(this.dir)
    return true
  }

  hasActive = (keyId: string): Promise<boolean> =>
    access(this.activePrivate(keyId)).then(
      () => true,
      () => false,
    )

  /** keyIds that have an active private key file, and files that are not ours to load. */
  async listActive(): Promise<{ keyIds: string[]; orphans: string[] }> {
    const names = await readdir(this.dir)
    const keyIds = names
      .filter((n) => n.endsWith(PRIVATE_SUFFIX))
      .map((n) => n.slice(0, -PRIVATE_SUFFIX.length))
    const orphans = names
      .filter((n) => n.endsWith(PUBLIC_SUFFIX))
      .map((n) => n.slice(0, -PUBLIC_SUFFIX.length))
      .filter((keyId) => !keyIds.includes(keyId))
      .map((keyId) => `${keyId}${PUBLIC_SUFFIX}`)
    return { keyIds, orphans }
  }

  /** Private key files of earlier keys of keyId (paths). */
  async listPrevious(keyId: string): Promise<string[]> {
    const dir = this.previousDir(keyId)
    const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined // this keyId was never rotated
      throw err
    })
    if (names === undefined) return []
    await this.#removeTempFiles(dir)
    return names.filter((n) => n.endsWith(PRIVATE_SUFFIX)).map((n) => join(dir, n))
  }

  read = (path: string) => readFile(path, 'utf8')

  async writeActive(keyId: string, key: SigningKey): Promise<void> {
    await ensureDirectory(this.dir, 0o700)
    // Private first: after a crash between the two writes, the loader repairs the public file.
    await writeFileAtomic(this.activePrivate(keyId), key.privatePem, { mode: 0o600 })
    await writeFileAtomic(this.activePublic(keyId), key.publicPem, { mode: 0o644 })
  }

  async writePublic(keyId: string, key: SigningKey): Promise<void> {
    await writeFileAtomic(this.activePublic(keyId), key.publicPem, { mode: 0o644 })
  }

  async writePrevious(keyId: string, key: SigningKey): Promise<void> {
    await ensureDirectory(this.dir, 0o700)
    await ensureDirectory(join(this.dir, PREVIOUS_DIR), 0o700)
    await ensureDirectory(this.previousDir(keyId), 0o700)
    await writeFileAtomic(this.previousPrivate(keyId, key.kid), key.privatePem, { mode: 0o600 })
    await writeFileAtomic(this.previousPublic(keyId, key.kid), key.publicPem, { mode: 0o644 })
  }

  async removePrevious(keyId: string, kid: string): Promise<void> {
    await rm(this.previousPrivate(keyId, kid), { force: true })
    await rm(this.previousPublic(keyId, kid), { force: true })
  }

  async removeAll(keyId: string): Promise<void> {
    await rm(this.activePrivate(keyId), { force: true })
    await rm(this.activePublic(keyId), { force: true })
    await rm(this.previousDir(keyId), { recursive: true, force: true })
  }

  /** Leftovers of a write killed half-way: never a key, always safe to remove. */
  async #removeTempFiles(dir: string): Promise<void> {
    for (const name of await readdir(dir)) {
      if (isAtomicTempFile(name)) await rm(join(dir, name), { force: true })
    }
  }
}
