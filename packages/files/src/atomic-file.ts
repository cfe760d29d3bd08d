import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises'
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

/**
 * Makes a folder (and missing parents) with the given mode, and narrows an existing folder to it:
 * git creates keys/, certs/, data/ through their .gitkeep with the umask's mode (0755), and mkdir
 * leaves an existing folder as it is. Permission bits are only ever removed, never added, and only
 * on the folder itself (its parents are the user's). An open folder owned by another user is
 * refused rather than changed behind its owner's back or silently left open.
 */
export async function ensureDirectory(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode })
  // Windows has no permission bits: chmod there only toggles the read-only flag.
  if (process.platform === 'win32') return
  const folder = await stat(path)
  const extra = folder.mode & 0o777 & ~mode
  if (extra === 0) return
  const uid = process.getuid?.()
  if (uid !== undefined && folder.uid !== uid) {
    throw new Error(
      `${path} is mode ${octal(folder.mode & 0o777)} and owned by uid ${folder.uid}, not by this ` +
        `process (uid ${uid}): it must be ${octal(mode)}. Run as its owner, or make it yours ` +
        `(chown) or private (chmod ${octal(mode)}) first.`,
    )
  }
  await chmod(path, folder.mode & 0o7777 & ~extra)
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`

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
