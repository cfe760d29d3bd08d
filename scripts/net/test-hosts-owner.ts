import { readFile, readlink } from 'node:fs/promises'

/**
 * One process, told apart from every other this machine has run since it booted: a pid alone is
 * not, as pids are reused and each pid namespace (a container) numbers its own processes. The
 * boot, the pid namespace, the pid in it and the process's start time (in clock ticks since boot)
 * together are.
 */
export interface ProcessIdentity {
  boot: string
  pidNamespace: string
  pid: number
  start: string
}

const BOOT_ID = '/proc/sys/kernel/random/boot_id'

/** This process's identity. */
export async function thisProcess(): Promise<ProcessIdentity> {
  const pid = process.pid
  const start = await startTime(pid)
  if (start === undefined) throw new Error(`no /proc/${pid}/stat: is /proc mounted?`)
  return { boot: await bootId(), pidNamespace: await pidNamespace(), pid, start }
}

/**
 * Whether that exact process is provably gone: it ran on an earlier boot, or in this pid
 * namespace no process has its pid and start time. One in another pid namespace is never known
 * to be gone, as its pid means nothing here.
 */
export async function processGone(owner: ProcessIdentity): Promise<boolean> {
  if (owner.boot !== (await bootId())) return true
  if (owner.pidNamespace !== (await pidNamespace())) return false
  return (await startTime(owner.pid)) !== owner.start
}

const bootId = async () => (await readFile(BOOT_ID, 'utf8')).trim()

/** `pid:[<inode>]`, the same for every process in one pid namespace. */
const pidNamespace = () => readlink('/proc/self/ns/pid')

/** Field 22 of /proc/<pid>/stat, or undefined when no process has that pid here. */
async function startTime(pid: number): Promise<string | undefined> {
  let stat: string
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  // Field 2, the command's name in parentheses, may itself hold spaces and parentheses: the
  // fields after the last ')' start at field 3.
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .at(22 - 3)
}
