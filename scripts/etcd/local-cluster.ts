import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { clientUrl, type EtcdMember } from './cluster-layout.ts'
import {
  ensureRoot,
  readLayout,
  readPids,
  removePids,
  writeLayout,
  writePids,
  type RunningMember,
} from './cluster-state.ts'
import { findEtcd } from './find-etcd.ts'
import { isHealthy } from './member-health.ts'
import { isMemberProcess, startMember } from './member-process.ts'
import { stopProcess } from './stop-process.ts'
import { waitFor } from './wait-for.ts'

/**
 * A local etcd cluster of 1 or 3 members on loopback, its data, logs and pids in one folder of
 * its own (`data/etcd` for `npm run etcd`, a temporary one in the tests).
 */
export interface StartOptions {
  root: string
  members: readonly EtcdMember[]
  /** How long the members may take to answer healthy; default 30 s. */
  timeoutMs?: number
}

export interface MemberStatus extends EtcdMember {
  endpoint: string
  pid: number | undefined
  healthy: boolean
}

const DEFAULT_START_TIMEOUT_MS = 30_000

/** Starts every member and resolves once each answers healthy (the cluster has a leader). */
export async function startCluster(options: StartOptions): Promise<RunningMember[]> {
  const { root, timeoutMs = DEFAULT_START_TIMEOUT_MS } = options
  const etcd = findEtcd()
  if (!etcd) throw new Error('etcd is not installed (apt-get install etcd-server)')
  ensureRoot(root)
  const running = runningMembers(root)
  if (running.length > 0) {
    throw new Error(`etcd already runs from ${root} (pids ${running.map((m) => m.pid).join(', ')})`)
  }
  const members = checkLayout(root, options.members)
  writeLayout(root, members)
  const started = members.map((member) => ({
    ...member,
    pid: startMember(etcd, member, members, root),
  }))
  writePids(root, started)
  try {
    await Promise.all(started.map((member) => whenHealthy(root, member, timeoutMs)))
  } catch (error) {
    await stopCluster(root) // no half-started cluster left behind
    throw error
  }
  return started
}

/** Starts one member again (after a crash) on its own data; resolves once it is healthy. */
export async function restartMember(
  root: string,
  name: string,
  timeoutMs = DEFAULT_START_TIMEOUT_MS,
) {
  const etcd = findEtcd()
  const members = readLayout(root) ?? []
  const member = members.find((m) => m.name === name)
  if (!etcd || !member) throw new Error(`no member ${name} in ${root}`)
  const pid = startMember(etcd, member, members, root)
  const others = (readPids(root) ?? []).filter((m) => m.name !== name)
  writePids(root, [...others, { ...member, pid }])
  await whenHealthy(root, { ...member, pid }, timeoutMs)
  return pid
}

/** Stops every member by its pid (SIGTERM, then SIGKILL after graceMs); removes the data if asked. */
export async function stopCluster(
  root: string,
  options: { removeData?: boolean; graceMs?: number } = {},
): Promise<void> {
  // One at a time: a leader stopping hands its leadership to a member still running; stopped all
  // at once, it would wait out etcd's leader-transfer timeout.
  for (const m of readPids(root) ?? []) {
    await stopProcess(m.pid, () => isMemberProcess(m.pid, root, m), options.graceMs)
  }
  removePids(root)
  if (options.removeData) rmSync(root, { recursive: true, force: true })
}

/** Each member of the cluster kept in `root`: its endpoint, its pid if it runs, its health. */
export async function clusterStatus(root: string): Promise<MemberStatus[]> {
  const running = runningMembers(root)
  return Promise.all(
    (readLayout(root) ?? []).map(async (member) => ({
      ...member,
      endpoint: clientUrl(member),
      pid: running.find((m) => m.name === member.name)?.pid,
      healthy: await isHealthy(member),
    })),
  )
}

function runningMembers(root: string): RunningMember[] {
  return (readPids(root) ?? []).filter((m) => isMemberProcess(m.pid, root, m))
}

/** The members' data belongs to the cluster it was made in: same names, same peer ports. */
function checkLayout(root: string, wanted: readonly EtcdMember[]): readonly EtcdMember[] {
  const kept = readLayout(root)
  if (!kept) return wanted
  const same =
    kept.length === wanted.length &&
    kept.every((m, i) => m.name === wanted[i]?.name && m.peerPort === wanted[i]?.peerPort)
  if (!same) {
    throw new Error(
      `${root} holds the data of a ${kept.length}-member cluster on peer ports ` +
        `${kept.map((m) => m.peerPort).join(', ')}; start it the same way, or remove its data ` +
        '(npm run etcd -- stop --remove-data)',
    )
  }
  return wanted
}

async function whenHealthy(root: string, member: RunningMember, timeoutMs: number) {
  await waitFor(
    async () => {
      if (!isMemberProcess(member.pid, root, member)) {
        throw new Error(`${member.name} exited; see ${join(root, `${member.name}.log`)}`)
      }
      return isHealthy(member)
    },
    `${member.name} healthy at ${clientUrl(member)}/health (log: ${join(root, `${member.name}.log`)})`,
    timeoutMs,
  )
}
