import { randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { ensureDirectory, writeFileAtomic } from '@jwt-factory/files'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { ensureScenario3Keys } from '@jwt-factory/service'
import { createCertificateAuthority, loadClientCertificate } from '@jwt-factory/tls'
import { startTlsTestEtcd } from '../../apps/jwt-factory/src/stores/etcd/etcd-test-cluster.ts'
import { eventually } from '../../apps/jwt-factory/test/factory-process.ts'
import { runFactoryCliWithEnv } from '../../apps/jwt-factory/test/users-cli-process.ts'
import { SCENARIO3_PUBLIC_FILE } from '../../apps/service/src/scenarios/scenario3-keys.ts'
import { bundleApps } from '../build/bundle-apps.ts'
import { root } from '../demo/cluster.ts'
import { startApp, type NodeProcess } from '../demo/launch.ts'
import { writeHostCertificates } from '../net/test-hosts-certificates.ts'
import { createTestHosts, freeSubnet, type TestHosts } from '../net/test-hosts.ts'

/**
 * The multi-host test's cluster: etcd, two factories and servicea/b/c, each on a test host of its
 * own (scripts/net/test-hosts.ts), bound to its address. The factories are exposed (the admin
 * token; issuance by mutual TLS as the service the client certificate names) on one etcd over
 * TLS with client certificates, and share one PUBLIC_URL, as replicas behind one name do.
 * servicea gets its tokens from factory1, serviceb and servicec verify at factory2. The test's
 * own namespace is a host too (the client address), holding a client certificate of its own.
 */
export const HOSTS = ['etcd', 'factory1', 'factory2', 'servicea', 'serviceb', 'servicec'] as const
export type Host = (typeof HOSTS)[number]
const SERVICES = ['servicea', 'serviceb', 'servicec'] as const
const FACTORY_OF = { servicea: 'factory1', serviceb: 'factory2', servicec: 'factory2' } as const

export const PUBLIC_URL = 'https://jwt-factory.test'
/**
 * Below the default 5 s, so a cut-off hop is given up on sooner (servicea waits a second more for
 * its peers); not so low that a first handshake on a busy machine runs out of it.
 */
export const HOP_TIMEOUT_MS = 2500
/** Each call to etcd, a factory's first at its start included, which a busy machine slows. */
const ETCD_TIMEOUT_MS = 4000
/** Each host has its own address, so every app listens on the same two ports. */
const HTTP_PORT = 7080
const HTTPS_PORT = 7443
const READY_TIMEOUT_MS = 30_000
const TEST_CLIENT = 'multi-host-test'

export interface MultiHostCluster {
  readonly hosts: TestHosts
  /** The test host's HTTPS client: the cluster's CA, and its own client certificate. */
  readonly https: HttpClient
  readonly adminToken: string
  /** A viewer, added by the users CLI on etcd. */
  readonly user: { name: string; password: string }
  /** Each app's process, by its host. */
  readonly processes: ReadonlyMap<Host, NodeProcess>
  httpsUrl(host: Host): string
  httpUrl(host: Host): string
  /** How long each part of the start took, in one line. */
  readonly summary: string
  /** Every process stopped by its pid, then etcd, the hosts and the folder; safe to call again. */
  stop(): Promise<void>
}

/** Starts it all; a failure half-way stops what was started before it throws. */
export async function startMultiHostCluster(): Promise<MultiHostCluster> {
  const started = Date.now()
  const dir = await mkdtemp(join(tmpdir(), 'jwt-factory-multi-host-'))
  const processes = new Map<Host, NodeProcess>()
  const made: {
    hosts?: TestHosts
    etcd?: Awaited<ReturnType<typeof startTlsTestEtcd>>
    https?: HttpClient
  } = {}
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all([...processes.values()].map((p) => p.stop(5000)))
      await made.etcd?.stop()
      await made.https?.close()
      await made.hosts?.close()
      await rm(dir, { recursive: true, force: true })
    })())
  try {
    const subnet = await freeSubnet()
    const addresses = Object.fromEntries(HOSTS.map((h, i) => [h, subnet.address(10 + i)]))
    const [hostsMs] = await Promise.all([
      timed(async () => {
        made.hosts = await createTestHosts({
          subnet,
          hosts: addresses,
          client: subnet.address(100),
        })
      }),
      bundleApps(root),
    ])
    const hosts = made.hosts!
    const httpsUrl = (host: Host) => `https://${hosts.address(host)}:${HTTPS_PORT}`
    const httpUrl = (host: Host) => `http://${hosts.address(host)}:${HTTP_PORT}`
    const files = await writeFiles(dir, hosts)
    const testCert = (await loadClientCertificate(files.certsOf('client'), TEST_CLIENT))!
    made.https = createHttpClient({ caPem: files.caPem, clientCert: testCert, timeoutMs: 10_000 })
    const https = made.https

    const etcdCerts = files.certsOf('etcd')
    const clientCerts = files.certsOf('client')
    const etcdMs = await timed(async () => {
      made.etcd = await startTlsTestEtcd({
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
      ETCD_ENDPOINTS: made.etcd!.endpoints.join(','),
      ETCD_PREFIX: 'multi-host/',
      ETCD_CA_FILE: join(certs, 'ca.pem'),
      ETCD_CERT_FILE: join(certs, `${client}.pem`),
      ETCD_KEY_FILE: join(certs, `${client}-key.pem`),
      ETCD_TIMEOUT_MS: String(ETCD_TIMEOUT_MS),
      STORE_KEK_FILE: files.kekFile,
      // Unused on etcd; never the repository's own folders.
      KEYS_DIR: join(dir, 'unused-keys'),
      USERS_FILE: join(dir, 'unused-users.json'),
      CLIENTS_FILE: join(dir, 'unused-clients.json'),
      REVOCATIONS_FILE: join(dir, 'unused-revocations.json'),
    })

    const start = (host: Host, app: 'jwt-factory' | 'service', env: Record<string, string>) => {
      const child = startApp({
        name: app === 'service' ? host : app,
        app,
        ...(app === 'service' ? { appArgs: [host] } : {}),
        cwd: root,
        netns: hosts.netns(host),
        env: {
          HOST: hosts.address(host),
          CERTS_DIR: files.certsOf(host),
          LOG_FORMAT: 'json',
          ...env,
        },
      })
      processes.set(host, child)
      return child.whenHealthy(`${httpUrl(host)}/healthz`, READY_TIMEOUT_MS)
    }
    const factory = (host: Host) =>
      start(host, 'jwt-factory', {
        ...store(files.certsOf(host), 'jwt-factory'),
        PORT: String(HTTP_PORT),
        HTTPS_PORT: String(HTTPS_PORT),
        PUBLIC_URL,
        ADMIN_TOKEN: files.adminToken,
        // One process a host, as deploy/ runs one a pod: the test's "a rotation reaches both"
        // then means every process that verifies (workers are tested in workers.test.ts).
        WORKERS: '1',
      })
    const service = (host: (typeof SERVICES)[number]) =>
      start(host, 'service', {
        HTTP_PORT: String(HTTP_PORT),
        HTTPS_PORT: String(HTTPS_PORT),
        FACTORY_URL: httpsUrl(FACTORY_OF[host]),
        FACTORY_ISSUER: PUBLIC_URL,
        FACTORY_USER_ISSUER: `${PUBLIC_URL}/users`,
        SERVICEA_URL: httpsUrl('servicea'),
        SERVICEB_URL: httpsUrl('serviceb'),
        SERVICEC_URL: httpsUrl('servicec'),
        SCENARIO3_KEYS_DIR:
          host === 'servicea' ? files.scenario3.signer : files.scenario3.verifiers,
        CLIENT_SECRET_FILE: files.secretFileOf(host),
        HOP_TIMEOUT_MS: String(HOP_TIMEOUT_MS),
      })
    const cliEnv = { ...store(clientCerts, TEST_CLIENT), CERTS_DIR: clientCerts }
    const [cliMs, appsMs] = await Promise.all([
      timed(() => registerInEtcd(cliEnv, files)),
      timed(() =>
        Promise.all([factory('factory1'), factory('factory2'), ...SERVICES.map(service)]),
      ),
    ])
    // Each service's keys, made at one factory with the admin credential; the other learns them.
    const admin = { authorization: `Bearer ${files.adminToken}` }
    for (const keyId of SERVICES) {
      const url = `${httpsUrl('factory1')}/keys/${keyId}`
      const res = await https.requestJson('jwt-factory', url, { headers: admin })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
    }
    // The user is in etcd: each factory's watch delivers it.
    const basic = `Basic ${Buffer.from(`${files.user.name}:${files.user.password}`).toString('base64')}`
    for (const f of ['factory1', 'factory2'] as const) {
      await eventually(async () => {
        const res = await https.requestJson('jwt-factory', `${httpsUrl(f)}/login`, {
          method: 'POST',
          headers: { authorization: basic },
        })
        return res.status === 200
      }, READY_TIMEOUT_MS)
    }
    const summary =
      `multi-host: ${HOSTS.length} hosts, a switch and a client link in ${hostsMs} ms, etcd in ${etcdMs} ms, ` +
      `2 factories + 3 services healthy in ${appsMs} ms (the CLIs meanwhile: ${cliMs} ms); ` +
      `ready in ${Date.now() - started} ms`
    return {
      hosts,
      https,
      adminToken: files.adminToken,
      user: files.user,
      processes,
      httpsUrl,
      httpUrl,
      summary,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

type ClusterFiles = Awaited<ReturnType<typeof writeFiles>>

/**
 * What the hosts read from disk: each host's certificates folder (the client's too), the
 * key-encryption key the factories share, servicea's scenario-3 key pair (the verifiers get the
 * public key only), each service's OAuth client secret, and the admin token and user's password.
 */
async function writeFiles(dir: string, hosts: TestHosts) {
  const certsOf = (host: Host | 'client') => join(dir, host, 'certs')
  const secretFileOf = (service: string) => join(dir, 'client-secrets', service)
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
  const kekFile = join(dir, 'kek', 'store.kek')
  await ensureDirectory(join(dir, 'kek'), 0o700)
  await writeFileAtomic(kekFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  const scenario3 = { signer: join(dir, 'scenario3'), verifiers: join(dir, 'scenario3-public') }
  await ensureScenario3Keys(scenario3.signer, 'ES256')
  await ensureDirectory(scenario3.verifiers, 0o700)
  await copyFile(
    join(scenario3.signer, SCENARIO3_PUBLIC_FILE),
    join(scenario3.verifiers, SCENARIO3_PUBLIC_FILE),
  )
  // Before any service starts: each reads its own at start.
  await ensureDirectory(join(dir, 'client-secrets'), 0o700)
  for (const service of SERVICES) {
    const secret = `${randomBytes(32).toString('base64url')}\n`
    await writeFileAtomic(secretFileOf(service), secret, { mode: 0o600 })
  }
  return {
    caPem: ca.certPem,
    certsOf,
    secretFileOf,
    kekFile,
    scenario3,
    adminToken: randomBytes(32).toString('base64url'),
    user: { name: 'vera', password: randomBytes(18).toString('base64url') },
  }
}

/**
 * The OAuth clients and the user, made by the factory's CLIs on the same etcd from the test's own
 * host, as the cluster's demo-clients Job does (`clients ensure`: each service's secret is the one
 * in its file). At once: the store retries a commit another writer got in before.
 */
async function registerInEtcd(env: Record<string, string>, files: ClusterFiles): Promise<void> {
  const { user, secretFileOf } = files
  const runs = [
    ...SERVICES.map((s) =>
      runFactoryCliWithEnv('clients', env, ['ensure', s, '--secret-file', secretFileOf(s)]),
    ),
    runFactoryCliWithEnv(
      'users',
      env,
      ['add', user.name, '--role', 'viewer'],
      `${user.password}\n`,
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
