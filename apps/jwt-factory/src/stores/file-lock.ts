import { randomBytes } from 'node:crypto'
import { link, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export interface FileLockOptions {
  /** How long to wait for a live holder; default 10 s (a users command holds it for milliseconds). */
  timeoutMs?: number
}

export interface HeldLock {
  /** Throws unless this process still holds the lock: checked just before the write it guards. */
  assertHeld(): Promise<void>
}

/** The lock could not be taken in time; names the holder, never the file's content. */
export class FileLockTimeoutError extends Error {
  override name = 'FileLockTimeoutError'
  constructor(
    readonly lockFile: string,
    readonly holderPid: number | undefined,
  ) {
    const who = holderPid === undefined ? 'another process' : `process ${holderPid}`
    super(`${lockFile} is held by ${who}; try again, or remove that file if no such process runs`)
  }
}

const RETRY_MS = 15

/**
 * Runs `task` while this process alone holds `<file>.lock`: a read-change-write of a file by two
 * processes at once (two `npm run users` runs) can otherwise lose one change.
 *
 * The lock file appears whole or not at all (its content, the holder's pid and a nonce, is written
 * to a temporary file first and hard-linked into place: link(2) fails if the lock exists). A holder
 * killed with SIGKILL leaves its lock behind; a lock whose pid no longer runs is stale and is
 * broken by renaming it away, checking that what was renamed is still that stale lock (and
 * putting it back if it is not), so two waiters breaking the same stale lock cannot remove a
 * live one. Same-host only, as pids are: the users file is local to the factory.
 * Not proper-lockfile: it judges a lock stale by its mtime (2 s old at least), not by its pid.
 */
export async function withFileLock<T>(
  file: string,
  task: (lock: HeldLock) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const lockFile = `${file}.lock`
  const content = `${process.pid} ${randomBytes(12).toString('hex')}\n`
  await acquire(lockFile, content, options.timeoutMs ?? 10_000)
  const held: HeldLock = {
    async assertHeld() {
      if ((await readLock(lockFile)) !== content)
        throw new Error(`lost the lock ${lockFile} to another process`)
    },
  }
  try {
    return await task(held)
  } finally {
    // Only our own lock: a lock that is no longer ours (it cannot be, but) is left to its holder.
    if ((await readLock(lockFile)) === content) await rm(lockFile, { force: true })
  }
}

async function acquire(lockFile: string, content: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const candidate = tempName(lockFile, 'candidate')
  await writeFile(candidate, content, { mode: 0o600, flag: 'wx' })
  try {
    for (;;) {
      try {
        await link(candidate, lockFile)
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const current = await readLock(lockFile)
      if (current === undefined) continue // released between our link and our read
      const pid = holderPid(current)
      if (pid === undefined || !isRunning(pid)) {
        await breakStale(lockFile, current)
        continue
      }
      if (Date.now() > deadline) throw new FileLockTimeoutError(lockFile, pid)
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS + Math.random() * RETRY_MS))
    }
  } finally {
    await rm(candidate, { force: true })
  }
}

/** Removes the lock only if it still is the stale one we read; restores anything else. */
async function breakStale(lockFile: string, stale: string): Promise<void> {
  const moved = tempName(lockFile, 'stale')
  try {
    await rename(lockFile, moved)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return // another waiter broke it first
    throw err
  }
  if ((await readLock(moved)) !== stale) {
    // A live lock taken after we read the stale one: put it back where its holder expects it.
    await link(moved, lockFile).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    })
  }
  await rm(moved, { force: true })
}

/**
 * Leftovers of lock holders or waiters killed half-way: temporary files beside `file` whose
 * writer no longer runs. Called by the holder, so no live writer can be mid-write.
 */
export async function removeStaleLockFiles(file: string): Promise<void> {
  const dir = dirname(file)
  const prefix = `.${basename(file)}.lock.`
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue
    const pid = Number(name.slice(prefix.length).split('.')[0])
    if (Number.isInteger(pid) && pid > 0 && !isRunning(pid))
      await rm(join(dir, name), { force: true })
  }
}

/** `.<file>.lock.<pid>.<kind>.<hex>.tmp`: a name the atomic-write clean-ups recognise as temporary. */
function tempName(lockFile: string, kind: string): string {
  const file = lockFile.slice(0, -'.lock'.length)
  return join(
    dirname(file),
    `.${basename(file)}.lock.${process.pid}.${kind}.${randomBytes(6).toString('hex')}.tmp`,
  )
}

async function readLock(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function holderPid(content: string): number | undefined {
  const match = /^(\d{1,10}) [0-9a-f]{24}\n$/.exec(content)
  return match ? Number(match[1]) : undefined
}

/** Signal 0 checks existence only; EPERM means it runs under another user. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
