import { randomBytes } from 'node:crypto'
import { link, open, readFile, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ConfigError } from '@jwt-factory/config'
import { ensureDirectory, syncDirectory } from '@jwt-factory/files'
import type { Logger } from '@jwt-factory/server'
import type { KvBackend } from './kv-backend.ts'
import { KEK_BYTES, SealedBox } from './sealed-box.ts'

const SOURCE = 'apps/jwt-factory/.env'

/**
 * The key-encryption key of STORE_KEK_FILE: base64 of 32 random bytes. Every factory on one etcd
 * mounts the same file; without it nothing sealed in etcd opens. Missing, it is made (0600 in a
 * 0700 folder) only when `create` is set: `npm run etcd` users on one machine get one without a
 * step, while a deployment that forgot to mount it stops instead of sealing under a key no other
 * factory has.
 */
export async function openKekFile(
  file: string,
  logger: Logger,
  { create, scope = '' }: { create: boolean; scope?: string },
): Promise<SealedBox> {
  const text = await readFile(file, 'utf8').catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw kekError(file, `cannot read: ${err.message}`)
    if (!create) throw kekError(file, 'missing: mount the file every factory on this etcd shares')
    return createKekFile(file, logger)
  })
  const kek = Buffer.from(text.trim(), 'base64')
  if (kek.length !== KEK_BYTES || kek.toString('base64') !== text.trim()) {
    throw kekError(file, `must hold ${KEK_BYTES} bytes in base64 (openssl rand -base64 32)`)
  }
  return new SealedBox(kek, scope)
}

/** Where the store keeps a value sealed under its key-encryption key, to check every factory's. */
const KEK_CHECK = 'kek-check'

/**
 * The key-encryption key of STORE_KEK_FILE, checked against the store: the first factory seals a
 * random value under `kek-check`, and every factory after must open it, or its start stops. A
 * factory that forgot to mount the file, or mounted another, would otherwise skip every sealed
 * value as corrupt and seal new keys under a key no other factory has. A file is only made when
 * the store holds no check yet (a fresh store).
 */
export async function openCheckedKek(
  backend: KvBackend,
  file: string,
  logger: Logger,
  { create, scope }: { create: boolean; scope: string },
): Promise<SealedBox> {
  const stored = await backend.get(KEK_CHECK)
  const box = await openKekFile(file, logger, { create: create && stored === undefined, scope })
  if (stored === undefined) {
    const check = {
      key: KEK_CHECK,
      value: box.seal(randomBytes(16).toString('base64url'), KEK_CHECK),
    }
    if (await backend.commit([{ key: KEK_CHECK, revision: undefined }], [check])) return box
  }
  const current = stored ?? (await backend.get(KEK_CHECK))
  try {
    box.open(current?.value ?? '', KEK_CHECK)
  } catch {
    throw kekError(
      file,
      `is not the key-encryption key the values in ${backend.description} were sealed with: mount the same file at every factory on this etcd`,
    )
  }
  return box
}

/** Written whole beside it, then linked into place: two factories starting at once share one. */
async function createKekFile(file: string, logger: Logger): Promise<string> {
  const text = `${randomBytes(KEK_BYTES).toString('base64')}\n`
  await ensureDirectory(dirname(file), 0o700)
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await link(tmp, file)
    await syncDirectory(dirname(file))
    logger.warn(
      { file },
      `made a key-encryption key in ${file}: every factory on this etcd needs this same file`,
    )
    return text
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return readFile(file, 'utf8') // another factory made it first
  } finally {
    await rm(tmp, { force: true })
  }
}

const kekError = (file: string, problem: string) =>
  new ConfigError(SOURCE, [`STORE_KEK_FILE: ${file}: ${problem}`])
