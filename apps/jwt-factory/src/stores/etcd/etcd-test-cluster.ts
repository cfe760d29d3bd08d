import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// The project's own local etcd (npm run etcd), so the tests run etcd the way developers do.
import { clientUrl, layout, type MemberCount } from '../../../../../scripts/etcd/cluster-layout.ts'
import { findEtcd } from '../../../../../scripts/etcd/find-etcd.ts'
import {
  restartMember,
  startCluster,
  stopCluster,
} from '../../../../../scripts/etcd/local-cluster.ts'
import { isMemberProcess } from '../../../../../scripts/etcd/member-process.ts'
import { stopProcess } from '../../../../../scripts/etcd/stop-process.ts'
import { freePorts } from '../../../../../scripts/net/free-ports.ts'

/**
 * Real etcd for the factory's tests: 1 or 3 processes on free loopback ports, their data in a
 * temporary folder removed at stop. Suites skip with a title saying so where etcd is missing
 * (`describe.skipIf(!ETCD_AVAILABLE)`); .ci/run installs it, so CI runs them. Tests share a
 * cluster and keep apart by each using its own `randomPrefix()`.
 */
export const ETCD_AVAILABLE: boolean = findEtcd() !== undefined

export const randomPrefix = (): string => `test-${randomUUID()}/`

export interface TestEtcd {
  /** The members' client URLs, in member order: `http://127.0.0.1:<port>`. */
  readonly endpoints: string[]
  /** Stops member i (SIGTERM, then SIGKILL); resolves once its process is gone. */
  stopMember(index: number): Promise<void>
  /** Starts member i again on its own data; resolves once it answers healthy. */
  startMember(index: number): Promise<void>
  /** Stops every member and removes the folder. */
  stop(): Promise<void>
}

/** A test waits on the process itself; a stopped etcd needs no long grace. */
const GRACE_MS = 2000

/** Starts the cluster and resolves once every member is healthy (give beforeAll ~30 s). */
export async function startTestEtcd(options: { members: MemberCount }): Promise<TestEtcd> {
  const count = options.members
  const root = mkdtempSync(join(tmpdir(), 'factory-etcd-'))
  const ports = await freePorts(2 * count)
  const members = layout(count, ports.slice(0, count), ports.slice(count))
  let running
  try {
    running = await startCluster({ root, members })
  } catch (error) {
    rmSync(root, { recursive: true, force: true })
    throw error
  }
  const pids = running.map((m) => m.pid)
  const memberAt = (index: number) => {
    const member = members[index]
    if (!member) throw new RangeError(`no member ${index} in a ${count}-member cluster`)
    return member
  }
  return {
    endpoints: members.map(clientUrl),
    async stopMember(index) {
      const member = memberAt(index)
      const pid = pids[index]!
      await stopProcess(pid, () => isMemberProcess(pid, root, member), GRACE_MS)
    },
    async startMember(index) {
      pids[index] = await restartMember(root, memberAt(index).name)
    },
    async stop() {
      await stopCluster(root, { removeData: true, graceMs: GRACE_MS })
    },
  }
}
