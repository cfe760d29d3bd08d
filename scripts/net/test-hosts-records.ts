import { open, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDirectory, syncDirectory, writeFileAtomic } from '@jwt-factory/files'
import { thisProcess, type ProcessIdentity } from './test-hosts-owner.ts'

/**
 * Where each run of the test hosts keeps its record: the process that owns the run and the
 * namespaces it made, so a later run knows for certain what a dead one left behind. In /run, which
 * a reboot empties as it does /run/netns; root's, as making namespaces is.
 */
export const RUNS_DIR = '/run/jwt-factory-test-hosts'

export interface RunRecord {
  owner: ProcessIdentity
  /** Only namespaces this run made itself: one whose `ip netns add` failed is never listed. */
  namespaces: string[]
}

export interface OpenRunRecord {
  readonly run: string
  /** Lists a namespace this run has just made. */
  addNamespace(ns: string): Promise<void>
  /** Once everything listed is deleted. */
  remove(): Promise<void>
}

const recordFile = (run: string) => join(RUNS_DIR, `${run}.json`)
const SUFFIX = '.json'

/**
 * Claims `run`'s record, before anything of the run is made: a name another run holds is refused
 * (created exclusively), so two runs never share one. Then rewritten atomically as the run grows.
 */
export async function createRunRecord(
  run: string,
  owner?: ProcessIdentity,
): Promise<OpenRunRecord> {
  const record: RunRecord = { owner: owner ?? (await thisProcess()), namespaces: [] }
  const file = recordFile(run)
  await ensureDirectory(RUNS_DIR, 0o700)
  const claimed = await open(file, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err
    throw new Error(`test hosts ${run}: the name is another run's (${file})`, { cause: err })
  })
  try {
    await claimed.writeFile(JSON.stringify(record))
    await claimed.sync()
  } finally {
    await claimed.close()
  }
  await syncDirectory(RUNS_DIR)
  return {
    run,
    async addNamespace(ns) {
      record.namespaces.push(ns)
      await writeFileAtomic(file, JSON.stringify(record), { mode: 0o600 })
    },
    remove: () => rm(file, { force: true }),
  }
}

/** Every run's record; one still being claimed (not yet whole JSON) is no one's leftover yet. */
export async function readRunRecords(): Promise<{ run: string; record: RunRecord }[]> {
  const names = await readdir(RUNS_DIR).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return []
    throw err
  })
  const records: { run: string; record: RunRecord }[] = []
  for (const name of names) {
    if (name.startsWith('.') || !name.endsWith(SUFFIX)) continue // an atomic write's temporary
    try {
      const record = JSON.parse(await readFile(join(RUNS_DIR, name), 'utf8')) as RunRecord
      records.push({ run: name.slice(0, -SUFFIX.length), record })
    } catch {
      // Being claimed, or removed by its run or another cleaner since readdir.
    }
  }
  return records
}

export const removeRunRecord = (run: string) => rm(recordFile(run), { force: true })
