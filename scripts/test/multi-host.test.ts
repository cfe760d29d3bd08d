import { spawnSync } from 'node:child_process'
import { readlink } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ETCD_AVAILABLE } from '../../apps/jwt-factory/src/stores/etcd/etcd-test-cluster.ts'
import { eventually } from '../../apps/jwt-factory/test/factory-process.ts'
import { ip } from '../net/test-hosts-ip.ts'
import {
  createTestHosts,
  freeSubnet,
  namespaceNames,
  removeLeftoverHosts,
  testHostsAvailable,
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
  const ours = async () =>
    (await namespaceNames()).filter((ns) => new RegExp(`^jf${process.pid}[a-z]-`).test(ns))

  it('a setup that fails half-way removes what it made before it throws', async () => {
    const subnet = await freeSubnet()
    // A prefix length ip refuses: the failure comes from ip itself, after the switch and a host.
    const bad = { ...subnet, cidr: subnet.cidr.replace('/24', '/33') }
    const hosts = { one: subnet.address(1), two: subnet.address(2) }
    await expect(createTestHosts({ subnet: bad, hosts })).rejects.toThrow(/ip -n \S+ addr add/)
    expect(await ours()).toEqual([])
  })

  it("a run removes an earlier run's namespaces whose process is gone, never a live process's", async () => {
    // A pid that was just used and is free again; pid 1 always runs.
    const gone = spawnSync(process.execPath, ['-e', '']).pid
    const left = `jf${gone}a-left`
    const kept = 'jf1a-kept'
    await ip(['netns', 'add', left])
    await ip(['netns', 'add', kept])
    try {
      expect(await removeLeftoverHosts()).toContain(`netns ${left}`)
      const names = await namespaceNames()
      expect(names).not.toContain(left)
      expect(names).toContain(kept)
    } finally {
      for (const ns of [left, kept]) await ip(['netns', 'delete', ns]).catch(() => {})
    }
  })
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
