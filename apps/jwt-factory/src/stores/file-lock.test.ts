import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileLockTimeoutError, removeStaleLockFiles, withFileLock } from './file-lock.ts'

let dir: string
let file: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-lock-'))
  file = join(dir, 'users.json')
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid!
}

const lockContent = (pid: number) => `${pid} ${'ab'.repeat(12)}\n`

describe('withFileLock', () => {
  it('runs read-change-write tasks one at a time: 20 concurrent increments make 20', async () => {
    await writeFile(file, '0')
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(file, async () => {
          const n = Number(await readFile(file, 'utf8'))
          await new Promise((resolve) => setTimeout(resolve, 2))
          await writeFile(file, String(n + 1))
        }),
      ),
    )
    expect(await readFile(file, 'utf8')).toBe('20')
    expect(await readdir(dir)).toEqual(['users.json'])
  })

  it('breaks the lock of a holder that no longer runs (killed with SIGKILL) without waiting', async () => {
    await writeFile(`${file}.lock`, lockContent(await deadPid()))
    // No time at all to wait: a live holder would make this throw (the next test).
    expect(await withFileLock(file, async () => 'ran', { timeoutMs: 0 })).toBe('ran')
    expect(await readdir(dir)).toEqual([])
  })

  it('waits for a live holder, then fails naming its pid; the live lock stays', async () => {
    const live = lockContent(process.pid)
    await writeFile(`${file}.lock`, live)
    const err = await withFileLock(file, async () => 'ran', { timeoutMs: 200 }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(FileLockTimeoutError)
    expect((err as Error).message).toContain(`process ${process.pid}`)
    expect(await readFile(`${file}.lock`, 'utf8')).toBe(live)
  })

  it("assertHeld fails once the lock is no longer this holder's", async () => {
    const err = await withFileLock(file, async (lock) => {
      await lock.assertHeld()
      await writeFile(`${file}.lock`, lockContent(process.pid))
      return lock.assertHeld()
    }).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/lost the lock/)
  })
})

describe('removeStaleLockFiles', () => {
  it('removes lock candidates of processes that no longer run, not of live ones', async () => {
    const dead = `.users.json.lock.${await deadPid()}.candidate.abcdef012345.tmp`
    const live = `.users.json.lock.${process.pid}.candidate.abcdef012345.tmp`
    await writeFile(join(dir, dead), '')
    await writeFile(join(dir, live), '')
    await removeStaleLockFiles(file)
    expect(await readdir(dir)).toEqual([live])
  })
})
