import { ip } from './test-hosts-ip.ts'
import { processGone } from './test-hosts-owner.ts'
import { readRunRecords, removeRunRecord } from './test-hosts-records.ts'

/**
 * Removes what earlier runs left behind when their process died before its close(): the
 * namespaces listed in the record of a run whose owner is provably gone (test-hosts-owner.ts),
 * after killing what still runs in them (a SIGKILLed run's apps outlive it, and would keep its
 * namespace alive, unnamed, once deleted). A namespace no record lists, or a run whose owner may
 * be alive (in another pid namespace, say), is never touched. The client link needs no entry: it
 * is one end of a veth pair whose other end is in the run's switch, and goes with it. Returns
 * what it removed.
 */
export async function removeLeftoverHosts(): Promise<string[]> {
  const removed: string[] = []
  for (const { run, record } of await readRunRecords()) {
    if (!(await processGone(record.owner))) continue
    for (const ns of [...record.namespaces].reverse()) {
      await killProcessesIn(ns)
      await ip(['netns', 'delete', ns]).catch(unlessGone)
      removed.push(`netns ${ns}`)
    }
    await removeRunRecord(run)
  }
  return removed
}

/** SIGKILL, as a leftover's processes answer no one: no grace period to wait out. */
async function killProcessesIn(ns: string): Promise<void> {
  const pids = await ip(['netns', 'pids', ns]).catch((err: Error) => (unlessGone(err), ''))
  for (const pid of pids.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err // exited meanwhile
    }
  }
}

/** The named network namespaces (`ip netns list`: "name" or "name (id: 3)" per line). */
export async function namespaceNames(): Promise<string[]> {
  const out = await ip(['netns', 'list'])
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean)
}

/** Deleting what is already gone (another cleaner was first, or it went with its namespace). */
export function unlessGone(err: Error): void {
  if (/No such file|Cannot find device|does not exist/i.test(err.message)) return
  throw err
}
