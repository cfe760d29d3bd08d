import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '@jwt-factory/server'
import { ensureCertificates } from '@jwt-factory/tls'
import type { KvBackend } from '../kv/kv-backend.ts'
import { StoreUnavailableError } from '../store-unavailable.ts'
import { openEtcdBackend, type EtcdBackendOptions } from './etcd-backend.ts'
import {
  ETCD_AVAILABLE,
  etcdSuiteTitle,
  randomPrefix,
  startTlsTestEtcd,
} from './etcd-test-cluster.ts'

/**
 * The etcd KvBackend over TLS against real etcd members serving https with the certificates
 * `npm run certs` makes (ensureCertificates, in a temporary folder): the server's certificate
 * is checked against the project's CA, and a client certificate is shown when etcd asks.
 */
const TITLE = etcdSuiteTitle("the etcd KvBackend over TLS with the project's CA (real etcd)")

const START_MS = 60_000

describe.skipIf(!ETCD_AVAILABLE)(TITLE, () => {
  type TlsEtcd = Awaited<ReturnType<typeof startTlsTestEtcd>>
  let certsDir: string
  let serverTls: TlsEtcd
  let mutualTls: TlsEtcd
  let ca: Buffer
  let client: { cert: Buffer; key: Buffer }
  const backends: KvBackend[] = []

  beforeAll(async () => {
    certsDir = mkdtempSync(join(tmpdir(), 'etcd-certs-'))
    const { paths, clients } = await ensureCertificates(certsDir, { clients: ['jwt-factory'] })
    ca = readFileSync(paths.ca)
    const own = clients['jwt-factory']!
    client = { cert: readFileSync(own.cert), key: readFileSync(own.key) }
    const server = { caFile: paths.ca, certFile: paths.server, keyFile: paths.serverKey }
    ;[serverTls, mutualTls] = await Promise.all([
      startTlsTestEtcd(server),
      startTlsTestEtcd({
        ...server,
        clientCertAuth: true,
        clientCertFile: own.cert,
        clientKeyFile: own.key,
      }),
    ])
  }, START_MS)
  afterAll(async () => {
    for (const backend of backends.splice(0)) await backend.close()
    await Promise.all([serverTls?.stop(), mutualTls?.stop()])
    rmSync(certsDir, { recursive: true, force: true })
  }, START_MS)

  async function roundTrip(endpoints: string[], tls: EtcdBackendOptions['tls']) {
    const backend = await openEtcdBackend({
      endpoints,
      prefix: randomPrefix(),
      timeoutMs: 1000,
      logger: silentLogger(),
      ...(tls && { tls }),
    })
    backends.push(backend)
    await backend.commit([], [{ key: 'probe', value: 'over tls' }])
    return (await backend.get('probe'))?.value
  }

  it('verifies etcd against the CA it is given, and refuses etcd without it', async () => {
    expect(await roundTrip(serverTls.endpoints, { ca })).toBe('over tls')
    // The system's roots do not know the project's CA: not a single call goes through.
    await expect(roundTrip(serverTls.endpoints, undefined)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    )
  })

  it('shows its client certificate to an etcd that asks for one (--client-cert-auth)', async () => {
    expect(await roundTrip(mutualTls.endpoints, { ca, ...client })).toBe('over tls')
    await expect(roundTrip(mutualTls.endpoints, { ca })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    )
  })
})
