import { once } from 'node:events'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { afterEach, describe, expect, it } from 'vitest'
import { freePorts } from '../demo/cluster.ts'
import { clientUrl, layout, type EtcdMember, type MemberCount } from '../etcd/cluster-layout.ts'
import { readPids } from '../etcd/cluster-state.ts'
import { findEtcd } from '../etcd/find-etcd.ts'
import { isHealthy } from '../etcd/member-health.ts'
import { isMemberProcess } from '../etcd/member-process.ts'
import { restartMember, startCluster, stopCluster } from '../etcd/local-cluster.ts'
import { waitFor } from '../etcd/wait-for.ts'

/**
 * `npm run etcd`'s cluster against real etcd processes on free loopback ports, in a temporary
 * folder. Skipped only where etcd is not installed; .ci/run installs it, so CI runs these.
 */
const ETCD = findEtcd()
const TITLE = ETCD
  ? 'a local etcd cluster (scripts/etcd)'
  : 'a local etcd cluster — SKIPPED: no etcd on PATH (apt-get install etcd-server)'
if (!ETCD) console.warn(`etcd-cluster.test.ts: ${TITLE}`)

const roots: string[] = []
const clients: Etcd3[] = []
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close())
  for (const root of roots.splice(0)) {
    await stopCluster(root, { graceMs: 2000 })
    rmSync(root, { recursive: true, force: true })
  }
})

async function freeCluster(count: MemberCount): Promise<{ root: string; members: EtcdMember[] }> {
  const root = mkdtempSync(join(tmpdir(), 'etcd-cluster-'))
  roots.push(root)
  const ports = await freePorts(2 * count)
  return { root, members: layout(count, ports.slice(0, count), ports.slice(count)) }
}

/** A client that talks to this one member only, so a read shows what that member serves. */
function clientOf(member: EtcdMember): Etcd3 {
  const client = new Etcd3({ hosts: clientUrl(member) })
  clients.push(client)
  return client
}

/** Gone means gone: no process, not even a zombie (kill(pid, 0) succeeds on one). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe.skipIf(!ETCD)(TITLE, () => {
  it('one member: starts healthy, stores through etcd3, keeps its data in 0700, stops by pid', async () => {
    const { root, members } = await freeCluster(1)
    const running = await startCluster({ root, members })
    expect(statSync(join(root, 'etcd-1')).mode & 0o777).toBe(0o700)
    expect(readPids(root)).toEqual(running)

    const client = clientOf(members[0]!)
    await client.put('factory/probe').value('one')
    expect(await client.get('factory/probe').string()).toBe('one')

    await stopCluster(root)
    await waitFor(() => !processExists(running[0]!.pid), 'etcd-1 reaped', 5000)
    expect(readPids(root)).toBeUndefined()
    expect(statSync(join(root, 'etcd-1')).isDirectory()).toBe(true) // data kept unless asked
  })

  it('three members: a write at one is read at another, and survives losing the leader', async () => {
    const { root, members } = await freeCluster(3)
    const running = await startCluster({ root, members })
    expect(running.map((m) => m.name)).toEqual(['etcd-1', 'etcd-2', 'etcd-3'])

    await clientOf(members[0]!).put('factory/key').value('from etcd-1')
    expect(await clientOf(members[2]!).get('factory/key').string()).toBe('from etcd-1')

    // Kill the leader: the hardest member to lose, the others must elect a new one.
    const status = await clientOf(members[0]!).maintenance.status()
    const memberIds = await Promise.all(
      members.map(async (m) => (await clientOf(m).maintenance.status()).header.member_id),
    )
    const leaderIndex = memberIds.indexOf(status.leader)
    expect(leaderIndex).toBeGreaterThanOrEqual(0)
    const leader = running[leaderIndex]!
    const [first, second] = members.filter((_, i) => i !== leaderIndex) as [EtcdMember, EtcdMember]
    process.kill(leader.pid, 'SIGKILL')
    await waitFor(() => !isMemberProcess(leader.pid, root, leader), 'the leader gone', 5000)
    await waitFor(
      async () => (await isHealthy(first)) && (await isHealthy(second)),
      'a new leader among the two left',
      20_000,
    )

    await clientOf(first).put('factory/key').value('while one is down')
    expect(await clientOf(second).get('factory/key').string()).toBe('while one is down')

    // Back on its own data, it catches up with what was written while it was down.
    await restartMember(root, leader.name)
    expect(await clientOf(leader).get('factory/key').string()).toBe('while one is down')

    const pids = readPids(root)!.map((m) => m.pid)
    expect(pids).toHaveLength(3)
    expect(pids).not.toContain(leader.pid)
    await stopCluster(root)
    await waitFor(() => pids.every((pid) => !processExists(pid)), 'all three reaped', 5000)
  }, 60_000)

  it('refuses to start a second time from the same folder, naming the running pids', async () => {
    const { root, members } = await freeCluster(1)
    const [running] = await startCluster({ root, members })
    await expect(startCluster({ root, members })).rejects.toThrow(`pids ${running!.pid}`)
  })

  it('a member that cannot listen fails the start, naming its log, and leaves no process', async () => {
    const { root, members } = await freeCluster(1)
    const squatter = createServer().listen(members[0]!.clientPort, '127.0.0.1')
    await once(squatter, 'listening')
    try {
      await expect(startCluster({ root, members })).rejects.toThrow(
        `etcd-1 exited; see ${join(root, 'etcd-1.log')}`,
      )
      expect(readPids(root)).toBeUndefined()
    } finally {
      squatter.close()
    }
  })

  it('refuses a different layout on data made by another cluster', async () => {
    const { root, members } = await freeCluster(1)
    await startCluster({ root, members })
    await stopCluster(root)
    const { members: three } = await freeCluster(3)
    await expect(startCluster({ root, members: three })).rejects.toThrow(
      'holds the data of a 1-member cluster',
    )
  })
})
