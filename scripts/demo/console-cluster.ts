import { join } from 'node:path'
import {
  loadConfig,
  startConsole,
  type ConsoleConfig,
  type RunningConsole,
} from '@jwt-factory/console'
import { ensureDemoUsers } from '@jwt-factory/factory'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { silentLogger } from '@jwt-factory/server'
import { bundleConsolePage } from '../build/bundle-apps.ts'
import { Cluster, root, type ClusterOptions, type ProcessName } from './cluster.ts'

/** The teaching console serving the page and driving a cluster's processes. */
export interface ClusterConsole {
  readonly console: RunningConsole
  /** The page, as a learner opens it: `http://localhost:<free port>/`. */
  readonly url: string
  /** Stops the console (not the cluster); safe to call more than once. */
  close(): Promise<void>
}

export interface ConsoleCluster extends ClusterConsole {
  readonly cluster: Cluster
  /** Stops the console, then every process; safe to call more than once. */
  stop(): Promise<void>
}

/**
 * A real cluster on free ports and the console on a free loopback port, wired as `npm start`
 * wires them, for the browser tests and the screenshots. Never the demo's fixed ports: `npm start`
 * may be running there.
 */
export async function startConsoleCluster(options: ClusterOptions = {}): Promise<ConsoleCluster> {
  const cluster = await Cluster.start(options)
  try {
    const served = await serveConsoleFor(cluster)
    let stopped: Promise<void> | undefined
    const stop = () =>
      (stopped ??= (async () => {
        await served.close()
        await cluster.stop()
      })())
    return { ...served, cluster, stop }
  } catch (err) {
    await cluster.stop()
    throw err
  }
}

/**
 * The console for a running cluster, as `npm start` serves it: the page freshly bundled, the
 * demo user written, on a free loopback port. Resolves once scenario 5 (the user's login) answers.
 */
export async function serveConsoleFor(cluster: Cluster): Promise<ClusterConsole> {
  const config = consoleConfigFor(cluster)
  await bundleConsolePage(root)
  const http: HttpClient = createHttpClient({
    caPem: cluster.caPem,
    timeoutMs: config.runTimeoutMs,
  })
  let running: RunningConsole | undefined
  let closed: Promise<void> | undefined
  const close = () =>
    (closed ??= (async () => {
      await running?.close()
      await http.close()
    })())
  try {
    running = await startConsole(config, {
      processes: cluster.supervisor,
      http,
      logger: silentLogger(),
    })
    // Written while the factory runs, as npm start does before it starts it; it reloads the file.
    await ensureDemoUsers(join(cluster.dir, 'users.json'))
    await untilScenario5Answers(running.url)
    return { console: running, url: running.url, close }
  } catch (err) {
    await close()
    throw err
  }
}

/** The console's config for a cluster: a free loopback port, the cluster's HTTPS ports and CA. */
export function consoleConfigFor(cluster: Cluster): ConsoleConfig {
  return loadConfig(
    {
      CONSOLE_PORT: '0',
      FACTORY_URL: cluster.urls.factoryHttps,
      SERVICEA_URL: httpsUrl(cluster, 'servicea'),
      SERVICEB_URL: httpsUrl(cluster, 'serviceb'),
      SERVICEC_URL: httpsUrl(cluster, 'servicec'),
      CERTS_DIR: join(cluster.dir, 'certs'),
      CLIENT_SECRETS_DIR: join(cluster.dir, 'client-secrets'),
    },
    join(root, 'apps/console'),
  )
}

/** A service's HTTPS address: the second of its ports (HTTP first), as the cluster gave them. */
function httpsUrl(cluster: Cluster, name: ProcessName): string {
  const ports = cluster.supervisor.list().find((p) => p.name === name)?.ports
  if (!ports?.[1]) throw new Error(`the cluster has no HTTPS port for ${name}`)
  return `https://localhost:${ports[1]}`
}

/** The factory reloads the users file on its own schedule: the demo is ready once it logs in. */
async function untilScenario5Answers(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await fetch(`${url}control/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scenario: 5 }),
    })
    const status = res.ok ? ((await res.json()) as { status: number }).status : res.status
    if (status === 200) return
    if (Date.now() > deadline) throw new Error(`scenario 5 still answers ${status}`)
    await new Promise((ok) => setTimeout(ok, 100))
  }
}
