import { open, readdir, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ensureDirectory, writeFileAtomic } from '@jwt-factory/files'
import type { z } from 'zod'
import { FileLockTimeoutError, removeStaleLockFiles, withFileLock } from './file-lock.ts'

/** What identifies one version of the file on disk: an atomic replace changes the inode. */
export interface FileVersion {
  ino: number
  size: number
  mtimeMs: number
}

/**
 * One kind of secret-holding JSON file (the users file, the clients file): its schema, its
 * content when the file does not exist, and the error that names it. The error never quotes the
 * content.
 */
export interface JsonFileFormat<T> {
  schema: z.ZodType<T>
  empty: () => T
  error: (file: string, problems: readonly string[], options?: ErrorOptions) => Error
}

export interface JsonFileSnapshot<T> {
  data: T
  /** Undefined when the file does not exist. */
  version: FileVersion | undefined
}

/** Reads and validates the file; missing is `format.empty()`. Stat and content from one handle. */
export async function readJsonFile<T>(
  file: string,
  format: JsonFileFormat<T>,
): Promise<JsonFileSnapshot<T>> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { data: format.empty(), version: undefined }
    throw format.error(file, [`cannot read: ${(err as Error).message}`], { cause: err })
  }
  try {
    const { ino, size, mtimeMs } = await handle.stat()
    const text = await handle.readFile('utf8')
    return { data: parse(file, text, format), version: { ino, size, mtimeMs } }
  } finally {
    await handle.close()
  }
}

/** The version only, for the cheap "did it change?" check. */
export async function statJsonFile(file: string): Promise<FileVersion | undefined> {
  try {
    const { ino, size, mtimeMs } = await stat(file)
    return { ino, size, mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function parse<T>(file: string, text: string, format: JsonFileFormat<T>): T {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw format.error(file, ['not valid JSON'])
  }
  const result = format.schema.safeParse(value)
  if (!result.success) throw format.error(file, problemsOf(result.error))
  return result.data
}

/** Zod's issues as lines naming the path, never the value. */
export const problemsOf = (error: z.ZodError): string[] =>
  error.issues.map((i) => `${i.path.map(String).join('.') || '(file)'}: ${i.message}`)

/** Atomically, mode 0600 in a 0700 folder: these files hold password hashes and secrets. */
export async function writeJsonFile(file: string, data: unknown): Promise<void> {
  await ensureDirectory(dirname(file), 0o700)
  await writeFileAtomic(file, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 })
}

/**
 * Read, change, write, holding `<file>.lock`, so two processes changing the file at once (two
 * CLI runs) both land instead of the second overwriting the first. The change's result is
 * validated before writing: no bug here can leave a file the factory refuses to load.
 */
export async function updateJsonFile<T>(
  file: string,
  format: JsonFileFormat<T>,
  change: (data: T) => T | Promise<T>,
): Promise<T> {
  await ensureDirectory(dirname(file), 0o700)
  try {
    return await withFileLock(file, async (lock) => {
      await removeLeftovers(file)
      const { data } = await readJsonFile(file, format)
      const checked = format.schema.safeParse(await change(data))
      if (!checked.success) throw format.error(file, problemsOf(checked.error))
      await lock.assertHeld()
      await writeJsonFile(file, checked.data)
      return checked.data
    })
  } catch (err) {
    if (err instanceof FileLockTimeoutError) throw format.error(file, [err.message], { cause: err })
    throw err
  }
}

/**
 * Temporary files of writers killed half-way (SIGKILL, power loss): never the file itself.
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
