import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ETCD_AVAILABLE } from '../../apps/jwt-factory/src/stores/etcd/etcd-test-cluster.ts'
import { eventually, REPO_ROOT } from '../../apps/jwt-factory/test/factory-process.ts'
import { ip } from '../net/test-hosts-ip.ts'
import { newRunName } from '../net/test-hosts-names.ts'
import { thisProcess } from '../net/test-hosts-owner.ts'
import { createRunRecord, RUNS_DIR, type OpenRunRecord } from '../net/test-hosts-records.ts'
import {
  createTestHosts,
  freeSubnet,
  namespaceNames,
  removeLeftoverHosts,
  testHostsAvailable,
  type Subnet,
} from '../net/test-hosts.ts'
import {
  PUBLIC_URL,
  startMultiHostCluster,
  type Host,
  type MultiHostCluster,
} from './multi-host-cluster.ts'

/**
 * Several hosts on one machine (multi-host-cluster.ts): etcd, two factories and the three
 * services each on a host of their own, bound to its address, never to loopback, every hop HTTPS
 * verified against one CA whose server certificates name each host's address. Every scenario runs
 * across them: what factory1 issues for servicea, factory2 verifies for serviceb and servicec. A
 * host cut off (its link down) gives the 502/504 naming it, and works again once restored.
 */
const UNAVAILABLE = ETCD_AVAILABLE
  ? await testHostsAvailable()
  : 'no etcd on PATH (apt-get install etcd-server)'
if (UNAVAILABLE) console.warn(`network namespaces: SKIPPED: ${UNAVAILABLE}`)
/** A suite's title, saying it is skipped and why where namespaces cannot be made. */
const suiteTitle = (title: string) =>
  UNAVAILABLE ? `network namespaces: SKIPPED: ${UNAVAILABLE} (${title})` : title
const TITLE = suiteTitle(
  'etcd, two factories and three services on hosts of their own (network namespaces)',
)

/** A run of the test hosts to SIGKILL. */
const KILLED_RUN = join(import.meta.dirname, 'multi-host-killed-run.ts')

/** After a restore: the bridge forwards at once, the clients' backoff may take a few seconds. */
const RECOVERY_MS = 30_000
/** A cut test waits out a hop's timeout, then its recovery, maybe twice. */
const CUT_TEST_TIMEOUT_MS = 90_000

let cluster: MultiHostCluster | undefined
const c = () => cluster!
const httpsUrl = (host: Host) => c().httpsUrl(host)
const httpUrl = (host: Host) => c().httpUrl(host)
const admin = () => ({ authorization: `Bearer ${c().adminToken}` })
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** GET servicea's calling side over HTTPS from the test's own host. */
const a = (path: string, headers: Record<string, string> = {}) =>
  c().https.requestJson('servicea', `${httpsUrl('servicea')}${path}`, { headers })

/** The user's token for servicea, from POST /login at `factory` (HTTPS: a password never crosses plain HTTP). */
async function login(factory: Host): Promise<string> {
  const { name, password } = c().user
  const res = await c().https.requestJson('jwt-factory', `${httpsUrl(factory)}/login`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`,
      'x-audience': 'servicea',
    },
  })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return (res.body as { access_token: string }).access_token
}

/** A new active key for servicea, asked of `factory` with the admin credential. */
const rotate = (factory: Host) =>
  c().https.requestJson('jwt-factory', `${httpsUrl(factory)}/keys/servicea`, {
    method: 'POST',
    headers: admin(),
  })

/** A process's JSON log lines. */
function logEntries(host: Host): Record<string, unknown>[] {
  return c()
    .processes.get(host)!
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe.skipIf(UNAVAILABLE)(suiteTitle('test hosts (scripts/net/test-hosts.ts)'), () => {
  const namespacesOf = async (run: string) =>
    (await namespaceNames()).filter((ns) => ns.startsWith(`${run}-`)).sort()
  const recorded = (run: string) => existsSync(join(RUNS_DIR, `${run}.json`))
  const twoHosts = (subnet: Subnet) => ({ one: subnet.address(1), two: subnet.address(2) })

  it('a setup that fails half-way removes what it made before it throws', async () => {
    const subnet = await freeSubnet()
    const name = newRunName()
    // A prefix length ip refuses: the failure comes from ip itself, after the switch and a host.
    const bad = { ...subnet, cidr: subnet.cidr.replace('/24', '/33') }
    await expect(createTestHosts({ name, subnet: bad, hosts: twoHosts(subnet) })).rejects.toThrow(
      /ip -n \S+ addr add/,
    )
    expect(await namespacesOf(name)).toEqual([])
    expect(recorded(name)).toBe(false)
  })

  it('a name in use fails the setup, and what holds it is left in place', async () => {
    const subnet = await freeSubnet()
    const name = newRunName()
    // Another's namespace, with the name the setup makes after the switch and host one.
    const theirs = `${name}-two`
    await ip(['netns', 'add', theirs])
    try {
      await expect(createTestHosts({ name, subnet, hosts: twoHosts(subnet) })).rejects.toThrow(
        /netns add \S+-two: .*File exists/,
      )
      expect(await namespacesOf(name)).toEqual([theirs])
      expect(recorded(name)).toBe(false)
      // A run's record is claimed first: another run holding the name is refused before ip runs.
      const record = await createRunRecord(name)
      try {
        await expect(createTestHosts({ name, subnet, hosts: twoHosts(subnet) })).rejects.toThrow(
          /the name is another run's/,
        )
        expect(recorded(name)).toBe(true)
      } finally {
        await record.remove()
      }
      expect(await namespacesOf(name)).toEqual([theirs])
    } finally {
      await ip(['netns', 'delete', theirs]).catch(() => {}) // gone only if the setup took it
    }
  })

  it("a run removes the namespaces of a run whose process is provably gone, and nobody else's", async () => {
    const me = await thisProcess()
    // Above 2**22, the largest pid_max Linux allows: never a live process's pid.
    const dead = { ...me, pid: 2 ** 22 + 1 }
    const owners = {
      dead,
      live: me,
      // That pid may run in its own pid namespace: nothing here can tell it is gone.
      elsewhere: { ...dead, pidNamespace: 'pid:[1]' },
    }
    const records: OpenRunRecord[] = []
    const made: string[] = []
    try {
      for (const [what, owner] of Object.entries(owners)) {
        const record = await createRunRecord(newRunName(), owner)
        records.push(record)
        made.push(`${record.run}-${what}`)
        await ip(['netns', 'add', made.at(-1)!])
        await record.addNamespace(made.at(-1)!)
      }
      // Named as a run's, in no record: some other container's, say.
      made.push(`${newRunName()}-unrecorded`)
      await ip(['netns', 'add', made.at(-1)!])

      expect(await removeLeftoverHosts()).toContain(`netns ${made[0]}`)
      const names = await namespaceNames()
      expect(made.filter((ns) => names.includes(ns))).toEqual(made.slice(1))
      expect(records.map((r) => recorded(r.run))).toEqual([false, true, true])
    } finally {
      for (const ns of made) await ip(['netns', 'delete', ns]).catch(() => {})
      for (const record of records) await record.remove()
    }
  })

  it('a SIGKILLed run: the next removes its namespaces, the app it left in one and its client link', async () => {
    const run = newRunName()
    const child = spawn(process.execPath, ['--import', 'tsx', KILLED_RUN, run], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = once(child, 'exit')
    // The app shares the run's stdout: the pipe closes once both are gone.
    const appGone = once(child.stdout, 'close')
    try {
      const app = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.startsWith('app ')) resolve(line.slice('app '.length))
        })
        void exited.then(() => reject(new Error('the run ended before its app said it runs')))
      })
      child.kill('SIGKILL')
      await exited
      expect(await namespacesOf(run)).toEqual([`${run}-app`, `${run}-switch`])
      expect((await ip(['netns', 'pids', `${run}-app`])).trim()).toBe(app)

      const removed = await removeLeftoverHosts()
      expect(removed).toEqual(expect.arrayContaining([`netns ${run}-app`, `netns ${run}-switch`]))
      await appGone
      expect(await namespacesOf(run)).toEqual([])
      expect(recorded(run)).toBe(false)
      // It goes with the switch, once the kernel has torn that namespace down.
      const linkGone = () =>
        ip(['link', 'show', 'dev', run]).then(
          () => false,
          () => true,
        )
      await eventually(linkGone, 10_000)
    } finally {
      child.kill('SIGKILL')
      await exited
      await removeLeftoverHosts()
    }
  }, 30_000)
})

describe.skipIf(UNAVAILABLE)(TITLE, () => {
  beforeAll(async () => {
    cluster = await startMultiHostCluster()
    console.log(cluster.summary)
  }, 180_000)

  afterAll(async () => {
    const made = cluster?.hosts.namespaces ?? []
    await cluster?.stop()
    expect((await namespaceNames()).filter((ns) => made.includes(ns))).toEqual([])
  }, 60_000)

  it("each app is node itself (ip netns exec execs in place), in its own host's namespace", async () => {
    for (const [host, p] of c().processes) {
      const pid = p.child.pid!
      expect(await readlink(`/proc/${pid}/exe`)).toBe(process.execPath)
      expect((await ip(['netns', 'identify', String(pid)])).trim()).toBe(c().hosts.netns(host))
    }
  })

  it('the factories are exposed: key management wants the admin credential, issuing mutual TLS', async () => {
    for (const f of ['factory1', 'factory2'] as const) {
      const keys = await c().https.requestJson('jwt-factory', `${httpsUrl(f)}/keys/servicea`)
      expect(keys.status).toBe(401)
      // The test's certificate is not servicea's: its tokens are servicea's alone.
      const issue = await c().https.requestJson(
        'jwt-factory',
        `${httpsUrl(f)}/issueToken/servicea`,
        {
          body: { aud: 'serviceb' },
        },
      )
      expect(issue.status).toBe(403)
      const plain = await fetch(`${httpUrl(f)}/issueToken/servicea`, { method: 'POST' })
      expect(plain.status).toBe(403)
    }
  })

  for (const path of [
    '/scenario1',
    '/scenario1?verify=jwks',
    '/scenario2',
    '/scenario2?verify=jwks',
  ])
    it(`${path}: factory1 issues, factory2 verifies (or serviceb and servicec with its JWKS)`, async () => {
      const res = await a(path)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      const answers = path.startsWith('/scenario2')
        ? [(res.body as any).serviceb, (res.body as any).servicec]
        : [res.body]
      for (const answer of answers) {
        expect(answer).toMatchObject({
          valid: true,
          claims: { iss: PUBLIC_URL, sub: 'servicea' },
        })
      }
    })

  for (const path of ['/scenario3', '/scenario4'])
    it(`${path}: servicea signs, its peers verify with the public key`, async () => {
      const res = await a(path)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(JSON.stringify(res.body)).toContain('"iss":"https://service-issuer"')
    })

  for (const path of [
    '/scenario1?expired=1',
    '/scenario1?expired=1&verify=jwks',
    '/scenario2?expired=1',
    '/scenario2?expired=1&verify=jwks',
    '/scenario3?expired=1',
    '/scenario4?expired=1',
  ])
    it(`${path} → 403, the expired token refused across the hosts`, async () => {
      const res = await a(path)
      expect(res.status).toBe(403)
      expect(JSON.stringify(res.body)).toContain('"name":"TokenExpiredError"')
    })

  it('servicea got its tokens from factory1 over mutual TLS, as servicea; factory2 verified them', () => {
    // The test's own refused attempts above are logged too, with no client named.
    const issued = logEntries('factory1').filter(
      (e) => e.path === '/issueToken/servicea' && e.status === 200,
    )
    expect(issued.length).toBeGreaterThan(0)
    expect(issued.every((e) => e.client === 'servicea')).toBe(true)
    // And factory2, which issued none of them, verified them for serviceb.
    const verified = logEntries('factory2').filter((e) => e.path === '/verify/servicea')
    expect(verified.some((e) => e.status === 200)).toBe(true)
    expect(
      logEntries('factory2').some((e) => e.path === '/issueToken/servicea' && e.status === 200),
    ).toBe(false)
  })

  for (const query of ['', '?verify=jwks'])
    it(`scenario 5${query}: a user who logged in at factory2, through servicea (factory1) to serviceb`, async () => {
      const res = await a(`/scenario5${query}`, bearer(await login('factory2')))
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body).toMatchObject({
        valid: true,
        service: { valid: true, claims: { iss: PUBLIC_URL, sub: 'servicea', aud: 'serviceb' } },
        user: { valid: true, claims: { iss: `${PUBLIC_URL}/users`, sub: c().user.name } },
      })
    })

  it('scenario 6: exchanged at factory1 by servicea, at factory2 by serviceb, verified by servicec', async () => {
    const res = await a('/scenario6', bearer(await login('factory1')))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({
      valid: true,
      by: 'serviceb',
      claims: { sub: c().user.name, aud: 'serviceb', act: { sub: 'servicea' } },
      servicec: {
        valid: true,
        by: 'servicec',
        claims: { sub: c().user.name, aud: 'servicec', act: { sub: 'serviceb' } },
      },
    })
  })

  it(
    "serviceb's host cut off: scenario 1 answers 502/504 naming serviceb; restored, 200 again",
    async () => {
      await c().hosts.cut('serviceb')
      try {
        const res = await a('/scenario1')
        expect([502, 504]).toContain(res.status)
        expect(res.body).toMatchObject({ error: { hop: 'serviceb' } })
      } finally {
        await c().hosts.restore('serviceb')
      }
      await eventually(async () => (await a('/scenario1')).status === 200, RECOVERY_MS)
    },
    CUT_TEST_TIMEOUT_MS,
  )

  it(
    "factory1's host cut off: servicea's fresh issuance answers 502/504 naming jwt-factory; restored, 200 again",
    async () => {
      await c().hosts.cut('factory1')
      try {
        const res = await a('/scenario1?fresh=1')
        expect([502, 504]).toContain(res.status)
        expect(res.body).toMatchObject({ error: { hop: 'jwt-factory' } })
      } finally {
        await c().hosts.restore('factory1')
      }
      await eventually(async () => (await a('/scenario1?fresh=1')).status === 200, RECOVERY_MS)
    },
    CUT_TEST_TIMEOUT_MS,
  )

  it(
    "etcd's host cut off: tokens still issue and verify (the keys are in memory), a write answers 503; restored, a rotation reaches both",
    async () => {
      await c().hosts.cut('etcd')
      try {
        for (const path of ['/scenario1?fresh=1', '/scenario2?fresh=1&verify=jwks']) {
          const res = await a(path)
          expect(res.status, JSON.stringify(res.body)).toBe(200)
        }
        // The cut is real: what needs etcd is refused, naming the store.
        const refused = await rotate('factory2')
        expect(refused.status).toBe(503)
        expect(refused.body).toMatchObject({ error: { code: 'ERR_STORE_UNAVAILABLE' } })
      } finally {
        await c().hosts.restore('etcd')
      }
      const rotated = await eventually(async () => {
        const res = await rotate('factory2')
        return res.status === 201 ? (res.body as { kid: string }).kid : undefined
      }, RECOVERY_MS)
      await eventually(async () => {
        const res = await c().https.requestJson(
          'jwt-factory',
          `${httpsUrl('factory1')}/keys/servicea`,
          {
            headers: admin(),
          },
        )
        return (res.body as { kid?: string }).kid === rotated
      }, RECOVERY_MS)
      const res = await a('/scenario1?fresh=1')
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    },
    CUT_TEST_TIMEOUT_MS,
  )
})
