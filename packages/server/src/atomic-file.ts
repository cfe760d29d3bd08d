import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export interface WriteFileAtomicOptions {
  /** File mode; private keys and user files are 0o600. */
  mode: number
}

/**
 * Writes a file so that a reader, or a restart after SIGKILL or power loss, sees either the old
 * content or the new one, never a partial file: write a temporary file beside it, fsync it,
 * rename it over the target, fsync the folder so the rename itself is durable.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions,
): Promise<void> {
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const file = await open(tmp, 'wx', options.mode)
  try {
    await file.writeFile(data)
    await file.chmod(options.mode) // the umask may have narrowed or widened the mode given to open
    await file.sync()
  } catch (err) {
    await file.close()
    await rm(tmp, { force: true })
    throw err
  }
  await file.close()
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDirectory(dir)
}

/** Makes a folder (and parents) with the given mode; an existing folder keeps its mode. */
export async function ensureDirectory(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode })
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Temporary files left by a write that was killed half-way; safe to remove at start. */
export const isAtomicTempFile = (name: string): boolean =>
  name.startsWith('.') && name.endsWith('.tmp')
