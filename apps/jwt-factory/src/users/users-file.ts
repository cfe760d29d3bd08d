import { open, readdir, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ensureDirectory, writeFileAtomic } from '@jwt-factory/files'
import type { z } from 'zod'
import { FileLockTimeoutError, removeStaleLockFiles, withFileLock } from './file-lock.ts'
import { USERS_FILE_VERSION, usersFileSchema, type UserRecord } from './user-record.ts'

/** The users file could not be read or is not a valid users file. Never quotes the content. */
export class UsersFileError extends Error {
  override name = 'UsersFileError'
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`${file}: ${problems.join('; ')}`, options)
  }
}

/** What identifies one version of the file on disk: an atomic replace changes the inode. */
export interface FileVersion {
  ino: number
  size: number
  mtimeMs: number
}

export interface UsersSnapshot {
  users: UserRecord[]
  /** Undefined when the file does not exist (no users yet). */
  version: FileVersion | undefined
}

export function sameVersion(a: FileVersion | undefined, b: FileVersion | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs
}

/** Reads and validates the file; missing is an empty store. Stat and content from one handle. */
export async function readUsersFile(file: string): Promise<UsersSnapshot> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { users: [], version: undefined }
    throw new UsersFileError(file, [`cannot read: ${(err as Error).message}`], { cause: err })
  }
  try {
    const { ino, size, mtimeMs } = await handle.stat()
    const text = await handle.readFile('utf8')
    return { users: parseUsers(file, text), version: { ino, size, mtimeMs } }
  } finally {
    await handle.close()
  }
}

/** The version only, for the cheap "did it change?" check. */
export async function statUsersFile(file: string): Promise<FileVersion | undefined> {
  try {
    const { ino, size, mtimeMs } = await stat(file)
    return { ino, size, mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function parseUsers(file: string, text: string): UserRecord[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new UsersFileError(file, ['not valid JSON'])
  }
  const result = usersFileSchema.safeParse(value)
  if (!result.success) throw new UsersFileError(file, problemsOf(result.error))
  return result.data.users
}

const problemsOf = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.map(String).join('.') || '(file)'}: ${i.message}`)

/** Atomically, mode 0600: the file holds password hashes and TOTP secrets. */
export async function writeUsersFile(file: string, users: readonly UserRecord[]): Promise<void> {
  await ensureDirectory(dirname(file), 0o700)
  const sorted = [...users].sort((a, b) => a.name.localeCompare(b.name))
  const text = `${JSON.stringify({ version: USERS_FILE_VERSION, users: sorted }, null, 2)}\n`
  await writeFileAtomic(file, text, { mode: 0o600 })
}

/**
 * Read, change, write, holding `<file>.lock`, so two processes changing the file at once (two
 * `npm run users` runs) both land instead of the second overwriting the first. The change gets a
 * copy of the current users and returns the new list, validated before writing: no bug here can
 * leave a file the factory refuses to load.
 */
export async function updateUsersFile(
  file: string,
  change: (users: UserRecord[]) => UserRecord[] | Promise<UserRecord[]>,
): Promise<UserRecord[]> {
  await ensureDirectory(dirname(file), 0o700)
  try {
    return await withFileLock(file, async (lock) => {
      await removeLeftovers(file)
      const { users } = await readUsersFile(file)
      const next = await change(users.map((u) => ({ ...u, roles: [...u.roles] })))
      const checked = usersFileSchema.safeParse({ version: USERS_FILE_VERSION, users: next })
      if (!checked.success) throw new UsersFileError(file, problemsOf(checked.error))
      await lock.assertHeld()
      await writeUsersFile(file, checked.data.users)
      return checked.data.users
    })
  } catch (err) {
    if (err instanceof FileLockTimeoutError)
      throw new UsersFileError(file, [err.message], { cause: err })
    throw err
  }
}

/**
 * Temporary files of writers killed half-way (SIGKILL, power loss): never the users file itself.
 * Only the lock holder writes, so while it holds the lock no live write can be among them.
 */
async function removeLeftovers(file: string): Promise<void> {
  const dir = dirname(file)
  const escaped = basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const atomicTemp = new RegExp(`^\\.${escaped}\\.[0-9a-f]{12}\\.tmp$`)
  for (const name of await readdir(dir)) {
    if (atomicTemp.test(name)) await rm(join(dir, name), { force: true })
  }
  await removeStaleLockFiles(file)
}
