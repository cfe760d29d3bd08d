import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureDemoClients } from '@jwt-factory/factory'
import type { SigningAlgorithm } from '@jwt-factory/jwt'
import type { LogLevel } from '@jwt-factory/server'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { ensureCertificates, loadTlsFiles } from '@jwt-factory/tls'
import { ensureScenario3Keys } from '@jwt-factory/service'
import { bundleApps } from '../build/bundle-apps.ts'
import { freePorts } from '../net/free-ports.ts'
import { planDemo, type DemoProcess } from './demo-processes.ts'
import { exitText } from './launch.ts'
import { Supervisor, type Supervised } from './supervisor.ts'

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))

// Its own file, so the etcd test cluster (apps/jwt-factory) uses it without loading the demo.
export { freePorts }

export const PROCESS_NAMES = ['jwt-factory', 'servicea', 'serviceb', 'servicec'] as const
export type ProcessName = (typeof PROCESS_NAMES)[number]

/** Log lines kept in memory; the oldest go first, so a long run cannot grow without bound. */
const MAX_LOG_LINES = 10_000
const READY_TIMEOUT_MS = 20_000

export interface ClusterOptions {
  hopTimeoutMs?: number
  /** LOG_LEVEL of every process; default info. */
  logLevel?: LogLevel
  /** The factory's ALGORITHM and servicea's scenario-3 key algorithm; default ES256. */
  algorithm?: SigningAlgorithm
  /** Extra environment per process, e.g. a peer URL that points at a server that never answers. */
  env?: Partial<Record<ProcessName, Record<string, string>>>
  /** Processes to leave out. */
  without?: ProcessName[]
  /** Extra node options for every process, e.g. --cpu-prof (which NODE_OPTIONS refuses). */
  nodeArgs?: string[]
}

/**
 * The factory and the three services as real processes on free ports, with their own temporary
 * certificates and keys, talking HTTPS verified against that temporary CA. Used by the service's
 * end-to-end tests and by `npm run bench`.
 */
export class Cluster {
  readonly logs: { name: string; line: string }[] = []
  readonly urls = {} as Record<ProcessName, string> & { factoryHttps: string }
  readonly #running = new Map<ProcessName, Supervised>()
  #supervisor!: Supervisor
  #specs = new Map<ProcessName, { spec: DemoProcess; env: Record<string, string>; index: number }>()
  #nodeArgs: readonly string[] = []
  readonly #logWaiters = new Set<() => void>()
  /** A client that trusts the cluster's CA, for tests that call HTTPS endpoints. */
  https!: HttpClient
  /** The temporary CA, for clients of its own (the bench's load generator). */
  caPem!: string
  dir!: string

  #stopped = false
  #httpsClosed: Promise<void> | undefined

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const cluster = new Cluster()
    await cluster.launch(options)
    return cluster
  }

  /**
   * Starts every process; on failure, stops what it started and removes its folder. A `stop()`
   * while launching (Ctrl-C) makes it fail instead of starting more.
   */
  async launch(options: ClusterOptions = {}): Promise<void> {
    try {
      await this.#launch(options)
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  async #launch(options: ClusterOptions): Promise<void> {
    const algorithm = options.algorithm ?? 'ES256'
    this.dir = await mkdtemp(join(tmpdir(), 'jwt-factory-cluster-'))
    const dirs = {
      CERTS_DIR: join(this.dir, 'certs'),
      KEYS_DIR: join(this.dir, 'keys'),
      SCENARIO3_KEYS_DIR: join(this.dir, 'scenario-3-keys'),
      USERS_FILE: join(this.dir, 'users.json'),
      CLIENTS_FILE: join(this.dir, 'clients.json'),
      REVOCATIONS_FILE: join(this.dir, 'revocations.json'),
    }
    const secretsDir = join(this.dir, 'client-secrets')
    await bundleApps(root)
    await ensureCertificates(dirs.CERTS_DIR)
    await ensureScenario3Keys(dirs.SCENARIO3_KEYS_DIR, algorithm)
    // The services' OAuth clients, as `npm start` makes them: each service reads its own secret.
    await ensureDemoClients(dirs.CLIENTS_FILE, secretsDir)
    const secretOf = (name: string) => ({ CLIENT_SECRET_FILE: join(secretsDir, name) })
    this.caPem = (await loadTlsFiles(dirs.CERTS_DIR)).caPem
    this.https = createHttpClient({ caPem: this.caPem, timeoutMs: 10_000 })
    const [fHttp, fHttps, aHttp, aHttps, bHttp, bHttps, cHttp, cHttps] = (await freePorts(8)) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ]
    const common = {
      ...dirs,
      FACTORY_URL: `https://localhost:${fHttps}`,
      SERVICEA_URL: `https://localhost:${aHttps}`,
      SERVICEB_URL: `https://localhost:${bHttps}`,
      SERVICEC_URL: `https://localhost:${cHttps}`,
      HOP_TIMEOUT_MS: String(options.hopTimeoutMs ?? 3000),
      LOG_LEVEL: options.logLevel ?? 'info',
      // The issuers follow the random ports, never the shell's (an exposed factory needs PUBLIC_URL).
      PUBLIC_URL: `https://localhost:${fHttps}`,
      ISSUER: '',
      FACTORY_ISSUER: '',
      FACTORY_USER_ISSUER: '',
      // Never a credential of the shell the tests run in; a test sets its own.
      ADMIN_TOKEN: '',
      ADMIN_TOKEN_FILE: '',
      ALGORITHM: algorithm,
      SCENARIO3_ALGORITHM: algorithm,
    }
    const own: Record<ProcessName, Record<string, string>> = {
      'jwt-factory': { PORT: String(fHttp), HTTPS_PORT: String(fHttps) },
      servicea: { HTTP_PORT: String(aHttp), HTTPS_PORT: String(aHttps), ...secretOf('servicea') },
      serviceb: { HTTP_PORT: String(bHttp), HTTPS_PORT: String(bHttps), ...secretOf('serviceb') },
      servicec: { HTTP_PORT: String(cHttp), HTTPS_PORT: String(cHttps), ...secretOf('servicec') },
    }
    Object.assign(this.urls, {
      'jwt-factory': `http://127.0.0.1:${fHttp}`,
      factoryHttps: `https://localhost:${fHttps}`,
      servicea: `http://127.0.0.1:${aHttp}`,
      serviceb: `http://127.0.0.1:${bHttp}`,
      servicec: `http://127.0.0.1:${cHttp}`,
    })
    this.#supervisor = new Supervisor(root, { ...process.env, ...common }, (name, line) => {
      if (this.logs.push({ name, line }) > MAX_LOG_LINES) this.logs.shift()
      for (const waiter of this.#logWaiters) waiter()
    })
    const plan = planDemo(root, process.env)
    this.#nodeArgs = options.nodeArgs ?? []
    plan.processes.forEach((spec, index) => {
      const name = spec.name as ProcessName
      // Its own ports: a process the console starts again is awaited where it listens.
      const ports = Object.entries(own[name])
        .filter(([variable]) => variable.endsWith('PORT'))
        .map(([, port]) => Number(port))
      const at = { ...spec, healthUrl: `${this.urls[name]}/healthz`, ports }
      this.#specs.set(name, { spec: at, index, env: { ...own[name], ...options.env?.[name] } })
    })
    const names = [...this.#specs.keys()].filter((n) => !options.without?.includes(n))
    await Promise.all(names.map((n) => this.startProcess(n)))
    // A factory with an admin credential (required beyond loopback) wants it for key management.
    const adminToken = options.env?.['jwt-factory']?.ADMIN_TOKEN
    const headers: Record<string, string> = adminToken
      ? { authorization: `Bearer ${adminToken}` }
      : {}
    for (const service of ['servicea', 'serviceb', 'servicec']) {
      const res = await fetch(`${this.urls['jwt-factory']}/keys/${service}`, { headers })
      if (!res.ok) throw new Error(`could not create keys for ${service}: ${res.status}`)
    }
  }

  async startProcess(name: ProcessName): Promise<void> {
    if (this.#stopped) throw new Error(`cluster stopped: ${name} not started`)
    const { spec, index, env } = this.#specs.get(name)!
    const running = this.#supervisor.launch(spec, index, env, this.#nodeArgs)
    this.#running.set(name, running)
    await running.whenHealthy(`${this.urls[name]}/healthz`, READY_TIMEOUT_MS)
  }

  async stopProcess(name: ProcessName): Promise<void> {
    await this.#running.get(name)?.stop()
    this.#running.delete(name)
  }

  /** Stops `name` and starts it again with `env` over its own (the bench's factory with more workers). */
  async restartProcess(name: ProcessName, env: Record<string, string>): Promise<void> {
    await this.stopProcess(name)
    const entry = this.#specs.get(name)!
    entry.env = { ...entry.env, ...env }
    await this.startProcess(name)
  }

  /** Its processes as the teaching console drives them (stop, start, freeze, thaw, each line). */
  get supervisor(): Supervisor {
    return this.#supervisor
  }

  pidOf(name: ProcessName): number | undefined {
    return this.#running.get(name)?.child.pid
  }

  /** Resolves with the name and exit code of the first process that exits on its own. */
  firstExit(): Promise<{ name: ProcessName; code: number | string }> {
    return Promise.race(
      [...this.#running].map(([name, p]) =>
        p.exited.then((exit) => ({ name, code: exit.code ?? exitText(exit) })),
      ),
    )
  }

  logsOf(name: ProcessName): string[] {
    return this.logs.filter((l) => l.name === name).map((l) => l.line)
  }

  /**
   * Resolves once `check` holds, asked now and again at every log line that arrives: for what a
   * process says it did (a signal received, a hop's log line), without guessing how long it takes.
   */
  untilLogs(check: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const waiter = () => {
        if (!check()) return
        this.#logWaiters.delete(waiter)
        resolve()
      }
      this.#logWaiters.add(waiter)
      waiter()
    })
  }

  /** Stops every process, closes the client, removes the folder; safe to call more than once. */
  async stop(): Promise<void> {
    this.#stopped = true
    await this.#supervisor?.stopAll()
    this.#httpsClosed ??= this.https?.close()
    await this.#httpsClosed
    if (this.dir) await rm(this.dir, { recursive: true, force: true })
  }
}
