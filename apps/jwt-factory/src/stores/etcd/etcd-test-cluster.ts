import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { get } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// The project's own local etcd (npm run etcd), so the tests run etcd the way developers do.
import {
  clientUrl,
  layout,
  memberArgs,
  type EtcdMember,
  type MemberCount,
} from '../../../../../scripts/etcd/cluster-layout.ts'
import { findEtcd } from '../../../../../scripts/etcd/find-etcd.ts'
import {
  restartMember,
  startCluster,
  stopCluster,
} from '../../../../../scripts/etcd/local-cluster.ts'
import { isMemberProcess } from '../../../../../scripts/etcd/member-process.ts'
import { stopProcess } from '../../../../../scripts/etcd/stop-process.ts'
import { waitFor } from '../../../../../scripts/etcd/wait-for.ts'
import { freePorts } from '../../../../../scripts/net/free-ports.ts'
import { inNetns } from '../../../../../scripts/net/test-hosts-ip.ts'

/**
 * Real etcd for the factory's tests: 1 or 3 processes on free loopback ports, their data in a
 * temporary folder removed at stop. Suites skip with a title saying so where etcd is missing
 * (`describe.skipIf(!ETCD_AVAILABLE)`); .ci/run installs it, so CI runs them. Tests share a
 * cluster and keep apart by each using its own `randomPrefix()`.
 */
export const ETCD_AVAILABLE: boolean = findEtcd() !== undefined

export const randomPrefix = (): string => `test-${randomUUID()}/`

/**
 * What a factory or a CLI needs to work on `etcd` under a prefix of its own: STORE=etcd, the
 * endpoints, the prefix (a fresh one unless given) and the key-encryption key file.
 */
export const etcdStoreEnv = (
  etcd: { endpoints: readonly string[] },
  kekFile: string,
  prefix: string = randomPrefix(),
): Record<string, string> => ({
  STORE: 'etcd',
  ETCD_ENDPOINTS: etcd.endpoints.join(','),
  ETCD_PREFIX: prefix,
  STORE_KEK_FILE: kekFile,
})

/** A suite's title, saying it is skipped (and warning once) where etcd is not installed. */
export function etcdSuiteTitle(title: string): string {
  if (ETCD_AVAILABLE) return title
  const skipped = `${title} — SKIPPED: no etcd on PATH (apt-get install etcd-server)`
  console.warn(skipped)
  return skipped
}

export interface TestEtcd {
  /** The members' client URLs, in member order: `http://127.0.0.1:<port>`. */
  readonly endpoints: string[]
  /** Stops member i (SIGTERM, then SIGKILL); resolves once its process is gone. */
  stopMember(index: number): Promise<void>
  /** Starts member i again on its own data; resolves once it answers healthy. */
  startMember(index: number): Promise<void>
  /** Freezes member i (SIGSTOP): it holds every connection and answers nothing. */
  pauseMember(index: number): void
  /** Lets a frozen member i go on (SIGCONT). */
  resumeMember(index: number): void
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
    pauseMember(index) {
      memberAt(index)
      process.kill(pids[index]!, 'SIGSTOP')
    },
    resumeMember(index) {
      memberAt(index)
      process.kill(pids[index]!, 'SIGCONT')
    },
    async stop() {
      // A frozen member would take its SIGTERM only once it runs again.
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGCONT')
        } catch {
          // already gone
        }
      }
      await stopCluster(root, { removeData: true, graceMs: GRACE_MS })
    },
  }
}

export interface TlsTestEtcdOptions {
  /** The CA, the server certificate and its key, as `npm run certs` (ensureCertificates) makes them. */
  caFile: string
  certFile: string
  keyFile: string
  /** Clients must show a certificate issued by the CA (etcd's --client-cert-auth). */
  clientCertAuth?: boolean
  /** The client certificate the readiness probe shows when clientCertAuth is on. */
  clientCertFile?: string
  clientKeyFile?: string
  /** Serve clients on this address (a test host's) instead of 127.0.0.1. */
  host?: string
  /** Run the member in this network namespace (scripts/net/test-hosts.ts); needs root. */
  netns?: string
}

/**
 * One etcd member serving its clients over TLS (https://127.0.0.1:<port>) with the given server
 * certificate. scripts/etcd runs plain HTTP only, so the member is started here with the same
 * arguments plus the TLS ones (etcd takes the last value of a flag given twice).
 */
export async function startTlsTestEtcd(options: TlsTestEtcdOptions): Promise<{
  readonly endpoints: string[]
  stop(): Promise<void>
}> {
  const etcd = findEtcd()
  if (!etcd) throw new Error('etcd is not installed (apt-get install etcd-server)')
  const root = mkdtempSync(join(tmpdir(), 'factory-etcd-tls-'))
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number]
  const member: EtcdMember = { name: 'etcd-tls', clientPort, peerPort }
  const endpoint = `https://${options.host ?? '127.0.0.1'}:${clientPort}`
  const args = [
    ...memberArgs(member, [member], join(root, member.name)),
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--cert-file=${options.certFile}`,
    `--key-file=${options.keyFile}`,
    ...(options.clientCertAuth
      ? ['--client-cert-auth', `--trusted-ca-file=${options.caFile}`]
      : []),
  ]
  const logFile = join(root, `${member.name}.log`)
  const log = openSync(logFile, 'a', 0o600)
  const run = inNetns(options.netns, etcd, args)
  const child = spawn(run.command, run.args, { stdio: ['ignore', log, log] })
  closeSync(log)
  child.on('error', () => {}) // seen as the member never answering, with its log named
  const pid = child.pid!
  const alive = () => child.exitCode === null && child.signalCode === null
  const stop = async () => {
    await stopProcess(pid, alive, GRACE_MS)
    rmSync(root, { recursive: true, force: true })
  }
  const tls = {
    ca: readFileSync(options.caFile),
    ...(options.clientCertAuth && {
      cert: readFileSync(options.clientCertFile!),
      key: readFileSync(options.clientKeyFile!),
    }),
  }
  try {
    await waitFor(
      () => alive() && healthyOverTls(`${endpoint}/health`, tls),
      `${member.name} healthy at ${endpoint} (log: ${logFile})`,
      START_TIMEOUT_MS,
    )
  } catch (error) {
    await stop()
    throw error
  }
  return { endpoints: [endpoint], stop }
}

const START_TIMEOUT_MS = 30_000
const PROBE_TIMEOUT_MS = 1000

/** GET /health over TLS, the server's certificate checked against the CA. */
function healthyOverTls(url: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }) {
  return new Promise<boolean>((resolve) => {
    const req = get(url, { ...tls, timeout: PROBE_TIMEOUT_MS }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false)) // not listening yet
  })
}
