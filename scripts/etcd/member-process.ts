import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { memberArgs, type EtcdMember } from './cluster-layout.ts'

/**
 * One etcd member as a process of its own: detached, its output in `<root>/<name>.log`, so it
 * outlives the `npm run etcd -- start` that started it and is stopped later by its pid.
 * (scripts/demo/launch.ts pipes its children's output into the process that started them, which
 * must then stay; that fits the apps, not a store that outlives its command.)
 */
export function startMember(
  etcd: string,
  member: EtcdMember,
  members: readonly EtcdMember[],
  root: string,
): number {
  const dataDir = memberDataDir(root, member)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const log = openSync(join(root, `${member.name}.log`), 'a', 0o600)
  try {
    const child = spawn(etcd, memberArgs(member, members, dataDir), {
      detached: true,
      stdio: ['ignore', log, log],
    })
    if (child.pid === undefined) throw new Error(`could not start ${etcd}`)
    child.on('error', () => {}) // reported by the health wait, with the log's path
    child.unref()
    return child.pid
  } finally {
    closeSync(log)
  }
}

export const memberDataDir = (root: string, member: EtcdMember): string => join(root, member.name)

/**
 * Whether `pid` is the etcd of this member, read from /proc: a pid file outlives its processes,
 * and the system may have given the number to another one since.
 */
export function isMemberProcess(pid: number, root: string, member: EtcdMember): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const zombie = / Z /.test(state.slice(state.lastIndexOf(')')))
    return !zombie && cmdline.includes(`--data-dir=${memberDataDir(root, member)}`)
  } catch {
    return false // no such process
  }
}
