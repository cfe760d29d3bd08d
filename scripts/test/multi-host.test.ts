import { randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureDirectory, writeFileAtomic } from '@jwt-factory/files'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { ensureScenario3Keys } from '@jwt-factory/service'
import { createCertificateAuthority, loadClientCertificate } from '@jwt-factory/tls'
import { SCENARIO3_PUBLIC_FILE } from '../../apps/service/src/scenarios/scenario3-keys.ts'
import {
  ETCD_AVAILABLE,
  startTlsTestEtcd,
} from '../../apps/jwt-factory/src/stores/etcd/etcd-test-cluster.ts'
import { eventually } from '../../apps/jwt-factory/test/factory-process.ts'
import { runFactoryCliWithEnv } from '../../apps/jwt-factory/test/users-cli-process.ts'
import { bundleApps } from '../build/bundle-apps.ts'
import { root } from '../demo/cluster.ts'
import { startApp, type NodeProcess } from '../demo/launch.ts'
import { writeHostCertificates } from '../net/test-hosts-certificates.ts'
import { ip } from '../net/test-hosts-ip.ts'
import {
  createTestHosts,
  freeSubnet,
  namespaceNames,
  testHostsAvailable,
  type TestHosts,
} from '../net/test-hosts.ts'

/**
 * Several hosts on one machine: etcd, two factories and the three services each on a host of
 * their own (a network namespace with its own address, linked to the others through a bridge),
 * bound to that address, never to loopback: the factories in the exposed mode (the admin
 * credential, issuance by mutual TLS as the service the client certificate names), every hop
 * HTTPS verified against one CA whose server certificates name each host's address. servicea
 * gets its tokens from factory1, serviceb and servicec verify at factory2: what one factory
 * issues, the other verifies, through etcd. A host cut off (its link down) gives the 502/504
 * naming it. The test itself is a host too: its own namespace has an address on the subnet.
 */
const UNAVAILABLE = ETCD_AVAILABLE
  ? await testHostsAvailable()
  : 'no etcd on PATH (apt-get install etcd-server)'
const TITLE = UNAVAILABLE
  ? `network namespaces: SKIPPED: ${UNAVAILABLE}`
  : 'etcd, two factories and three services on hosts of their own (network namespaces)'
if (UNAVAILABLE) console.warn(TITLE)

const HOSTS = ['etcd', 'factory1', 'factory2', 'servicea', 'serviceb', 'servicec'] as const
type Host = (typeof HOSTS)[number]
const SERVICES = ['servicea', 'serviceb', 'servicec'] as const
/** Each host has its own address, so every app listens on the same two ports. */
const HTTP_PORT = 7080
const HTTPS_PORT = 7443
/** The factories' one issuer, as replicas behind one name share it (and the store). */
const PUBLIC_URL = 'https://jwt-factory.test'
/**
 * Below the default 5 s, so a cut-off hop is given up on sooner (servicea waits a second more for
 * its peers); not so low that a first handshake on a busy machine runs out of it.
 */
const HOP_TIMEOUT_MS = 2500
/** Each call to etcd, a factory's first at its start included, which a busy machine slows. */
const ETCD_TIMEOUT_MS = 4000
const READY_TIMEOUT_MS = 30_000
/** After a restore: the bridge forwards at once, the clients' backoff may take a few seconds. */
const RECOVERY_MS = 30_000
/** A cut test waits out a hop's timeout, then its recovery, maybe twice. */
const CUT_TEST_TIMEOUT_MS = 90_000
const TEST_CLIENT = 'multi-host-test'
const ADMIN_TOKEN = randomBytes(32).toString('base64url')
const USER = { name: 'vera', password: randomBytes(18).toString('base64url') }

let hosts: TestHosts
let dir: string
let etcd: Awaited<ReturnType<typeof startTlsTestEtcd>> | undefined
let https: HttpClient | undefined
const running = new Map<string, NodeProcess>()

const httpsUrl = (host: Host) => `https://${hosts.address(host)}:${HTTPS_PORT}`
const httpUrl = (host: Host) => `http://${hosts.address(host)}:${HTTP_PORT}`
const certsOf = (host: Host | 'client') => join(dir, host, 'certs')
const secretFileOf = (service: string) => join(dir, 'client-secrets', service)

/** GET servicea's calling side over HTTPS from the test's own host. */
const a = (path: string, headers: Record<string, string> = {}) =>
  https!.requestJson('servicea', `${httpsUrl('servicea')}${path}`, { headers })
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** POST /login at a factory for servicea, over HTTPS (a password never crosses plain HTTP). */
function loginAt(factory: Host) {
  const basic = Buffer.from(`${USER.name}:${USER.password}`).toString('base64')
  return https!.requestJson('jwt-factory', `${httpsUrl(factory)}/login`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'x-audience': 'servicea' },
  })
}

async function login(factory: Host): Promise<string> {
  const res = await loginAt(factory)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return (res.body as { access_token: string }).access_token
}

describe.skipIf(UNAVAILABLE)(TITLE, () => {
  beforeAll(async () => {
    const started = Date.now()
    dir = await mkdtemp(join(tmpdir(), 'jwt-factory-multi-host-'))
    const subnet = await freeSubnet()
    const addresses = Object.fromEntries(HOSTS.map((h, i) => [h, subnet.address(10 + i)]))
    // Kept as soon as made, so afterAll removes them whatever fails next.
    const [hostsMs] = await Promise.all([
      timed(async () => {
        hosts = await createTestHosts({ subnet, hosts: addresses, client: subnet.address(100) })
      }),
      bundleApps(root),
    ])

    const ca = await createCertificateAuthority()
    await Promise.all([
      ...HOSTS.map((host) =>
        writeHostCertificates(certsOf(host), ca, {
          serverHosts: [hosts.address(host)],
          // A service's client certificate names it; a factory's is its identity at etcd.
          clients: host.startsWith('service') ? [host] : host === 'etcd' ? [] : ['jwt-factory'],
        }),
      ),
      writeHostCertificates(certsOf('client'), ca, { clients: [TEST_CLIENT] }),
    ])
    const testCert = (await loadClientCertificate(certsOf('client'), TEST_CLIENT))!
    https = createHttpClient({ caPem: ca.certPem, clientCert: testCert, timeoutMs: 10_000 })
    const kekFile = join(dir, 'kek', 'store.kek')
    await ensureDirectory(join(dir, 'kek'), 0o700)
    await writeFileAtomic(kekFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
    // servicea signs scenario 3's tokens; the verifiers hold the public key only.
    const scenario3 = { signer: join(dir, 'scenario3'), verifiers: join(dir, 'scenario3-public') }
    await ensureScenario3Keys(scenario3.signer, 'ES256')
    await ensureDirectory(scenario3.verifiers, 0o700)
    await copyFile(
      join(scenario3.signer, SCENARIO3_PUBLIC_FILE),
      join(scenario3.verifiers, SCENARIO3_PUBLIC_FILE),
    )

    const etcdCerts = certsOf('etcd')
    const clientCerts = certsOf('client')
    const etcdMs = await timed(async () => {
      etcd = await startTlsTestEtcd({
        caFile: join(etcdCerts, 'ca.pem'),
        certFile: join(etcdCerts, 'server.pem'),
        keyFile: join(etcdCerts, 'server-key.pem'),
        clientCertAuth: true,
        clientCertFile: join(clientCerts, `${TEST_CLIENT}.pem`),
        clientKeyFile: join(clientCerts, `${TEST_CLIENT}-key.pem`),
        host: hosts.address('etcd'),
        netns: hosts.netns('etcd'),
      })
    })

    const store = (certs: string, client: string) => ({
      STORE: 'etcd',
      ETCD_ENDPOINTS: etcd!.endpoints.join(','),
      ETCD_PREFIX: 'multi-host/',
      ETCD_CA_FILE: join(certs, 'ca.pem'),
      ETCD_CERT_FILE: join(certs, `${client}.pem`),
      ETCD_KEY_FILE: join(certs, `${client}-key.pem`),
      ETCD_TIMEOUT_MS: String(ETCD_TIMEOUT_MS),
      STORE_KEK_FILE: kekFile,
      // Unused on etcd; never the repository's own folders.
      KEYS_DIR: join(dir, 'unused-keys'),
      USERS_FILE: join(dir, 'unused-users.json'),
      CLIENTS_FILE: join(dir, 'unused-clients.json'),
      REVOCATIONS_FILE: join(dir, 'unused-revocations.json'),
    })
    // The OAuth clients and the user, made by the CLIs on the same etcd (from the test's host),
    // as the cluster's demo-clients Job does: each service reads its secret from a file.
    // The secrets first: a service reads its own at start.
    await ensureDirectory(join(dir, 'client-secrets'), 0o700)
    for (const service of SERVICES) {
      const secret = `${randomBytes(32).toString('base64url')}\n`
      await writeFileAtomic(secretFileOf(service), secret, { mode: 0o600 })
    }
    const registered = timed(() =>
      registerInEtcd({ ...store(clientCerts, TEST_CLIENT), CERTS_DIR: clientCerts }),
    )
    const start = (host: Host, name: string, app: 'jwt-factory' | 'service', env = {}) => {
      const child = startApp({
        name,
        app,
        ...(app === 'service' ? { appArgs: [name] } : {}),
        cwd: root,
        netns: hosts.netns(host),
        env: {
          HOST: hosts.address(host),
          CERTS_DIR: certsOf(host),
          LOG_FORMAT: 'json',
          ...env,
        },
      })
      running.set(host, child)
      return child.whenHealthy(`${httpUrl(host)}/healthz`, READY_TIMEOUT_MS)
    }
    const factory = (host: Host) =>
      start(host, 'jwt-factory', 'jwt-factory', {
        ...store(certsOf(host), 'jwt-factory'),
        PORT: String(HTTP_PORT),
        HTTPS_PORT: String(HTTPS_PORT),
        PUBLIC_URL,
        ADMIN_TOKEN,
      })
    const service = (host: Host & `service${string}`, factoryHost: Host) =>
      start(host, host, 'service', {
        HTTP_PORT: String(HTTP_PORT),
        HTTPS_PORT: String(HTTPS_PORT),
        FACTORY_URL: httpsUrl(factoryHost),
        FACTORY_ISSUER: PUBLIC_URL,
        FACTORY_USER_ISSUER: `${PUBLIC_URL}/users`,
        SERVICEA_URL: httpsUrl('servicea'),
        SERVICEB_URL: httpsUrl('serviceb'),
        SERVICEC_URL: httpsUrl('servicec'),
        SCENARIO3_KEYS_DIR: host === 'servicea' ? scenario3.signer : scenario3.verifiers,
        CLIENT_SECRET_FILE: secretFileOf(host),
        HOP_TIMEOUT_MS: String(HOP_TIMEOUT_MS),
      })
    const [cliMs, appsMs] = await Promise.all([
      registered,
      timed(() =>
        Promise.all([
          factory('factory1'),
          factory('factory2'),
          service('servicea', 'factory1'),
          service('serviceb', 'factory2'),
          service('servicec', 'factory2'),
        ]),
      ),
    ])
    // Each service's keys, made at one factory with the admin credential; the other learns them.
    for (const keyId of SERVICES) {
      const made = await https.requestJson('jwt-factory', `${httpsUrl('factory1')}/keys/${keyId}`, {
        headers: admin,
      })
      expect(made.status, JSON.stringify(made.body)).toBe(201)
    }
    // The user is in etcd: the factories' watch delivers it.
    for (const f of ['factory1', 'factory2'] as const) {
      await eventually(async () => (await loginAt(f)).status === 200, READY_TIMEOUT_MS)
    }
    console.log(
      `multi-host: ${HOSTS.length} hosts, a switch and a client link in ${hostsMs} ms, etcd in ${etcdMs} ms, ` +
        `2 factories + 3 services healthy in ${appsMs} ms (the CLIs meanwhile: ${cliMs} ms); ` +
        `ready in ${Date.now() - started} ms`,
    )
  }, 180_000)

  afterAll(async () => {
    await Promise.all([...running.values()].map((p) => p.stop(5000)))
    await etcd?.stop()
    await https?.close()
    const made = hosts?.namespaces ?? []
    await hosts?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
    const left = await namespaceNames()
    expect(left.filter((ns) => made.includes(ns))).toEqual([])
  }, 60_000)

  it("each app is node itself (ip netns exec execs in place), in its own host's namespace", async () => {
    for (const [host, p] of running) {
      const pid = p.child.pid!
      expect(await readlink(`/proc/${pid}/exe`)).toBe(process.execPath)
      expect((await ip(['netns', 'identify', String(pid)])).trim()).toBe(hosts.netns(host as Host))
    }
  })

  it('the factories are exposed: key management wants the admin credential, issuing mutual TLS', async () => {
    for (const f of ['factory1', 'factory2'] as const) {
      const keys = await https!.requestJson('jwt-factory', `${httpsUrl(f)}/keys/servicea`)
      expect(keys.status).toBe(401)
      // The test's certificate is not servicea's: its tokens are servicea's alone.
      const issue = await https!.requestJson('jwt-factory', `${httpsUrl(f)}/issueToken/servicea`, {
        body: { aud: 'serviceb' },
      })
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
        expect(answer).toMatchObject({ valid: true, claims: { iss: PUBLIC_URL, sub: 'servicea' } })
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
        user: { valid: true, claims: { iss: `${PUBLIC_URL}/users`, sub: USER.name } },
      })
    })

  it('scenario 6: exchanged at factory1 by servicea, at factory2 by serviceb, verified by servicec', async () => {
    const res = await a('/scenario6', bearer(await login('factory1')))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({
      valid: true,
      by: 'serviceb',
      claims: { sub: USER.name, aud: 'serviceb', act: { sub: 'servicea' } },
      servicec: {
        valid: true,
        by: 'servicec',
        claims: { sub: USER.name, aud: 'servicec', act: { sub: 'serviceb' } },
      },
    })
  })

  it(
    "serviceb's host cut off: scenario 1 answers 502/504 naming serviceb; restored, 200 again",
    async () => {
      await hosts.cut('serviceb')
      try {
        const res = await a('/scenario1')
        expect([502, 504]).toContain(res.status)
        expect(res.body).toMatchObject({ error: { hop: 'serviceb' } })
      } finally {
        await hosts.restore('serviceb')
      }
      await eventually(async () => (await a('/scenario1')).status === 200, RECOVERY_MS)
    },
    CUT_TEST_TIMEOUT_MS,
  )

  it(
    "factory1's host cut off: servicea's fresh issuance answers 502/504 naming jwt-factory; restored, 200 again",
    async () => {
      await hosts.cut('factory1')
      try {
        const res = await a('/scenario1?fresh=1')
        expect([502, 504]).toContain(res.status)
        expect(res.body).toMatchObject({ error: { hop: 'jwt-factory' } })
      } finally {
        await hosts.restore('factory1')
      }
      await eventually(async () => (await a('/scenario1?fresh=1')).status === 200, RECOVERY_MS)
    },
    CUT_TEST_TIMEOUT_MS,
  )

  it(
    "etcd's host cut off: tokens still issue and verify (the keys are in memory), a write answers 503; restored, a rotation reaches both",
    async () => {
      await hosts.cut('etcd')
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
        await hosts.restore('etcd')
      }
      const rotated = await eventually(async () => {
        const res = await rotate('factory2')
        return res.status === 201 ? (res.body as { kid: string }).kid : undefined
      }, RECOVERY_MS)
      await eventually(async () => {
        const res = await https!.requestJson(
          'jwt-factory',
          `${httpsUrl('factory1')}/keys/servicea`,
          {
            headers: admin,
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

/** A new active key for servicea, asked of `factory` with the admin credential. */
const rotate = (factory: Host) =>
  https!.requestJson('jwt-factory', `${httpsUrl(factory)}/keys/servicea`, {
    method: 'POST',
    headers: admin,
  })

/**
 * The OAuth clients and the user, made by the factory's CLIs on the same etcd from the test's own
 * host, as the cluster's demo-clients Job does (`clients ensure`: each service's secret is the one
 * in its file). At once: the store retries a commit another writer got in before.
 */
async function registerInEtcd(env: Record<string, string>): Promise<void> {
  const runs = [
    ...SERVICES.map((service) =>
      runFactoryCliWithEnv('clients', env, [
        'ensure',
        service,
        '--secret-file',
        secretFileOf(service),
      ]),
    ),
    runFactoryCliWithEnv(
      'users',
      env,
      ['add', USER.name, '--role', 'viewer'],
      `${USER.password}\n`,
    ),
  ]
  for (const run of await Promise.all(runs)) expect(run.code, run.stderr).toBe(0)
}

/** How long `task` took, in ms. */
async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = Date.now()
  await task()
  return Date.now() - started
}

/** A process's JSON log lines. */
function logEntries(host: Host): Record<string, unknown>[] {
  return running
    .get(host)!
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}
