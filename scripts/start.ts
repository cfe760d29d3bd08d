import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig as loadConsoleConfig, startConsole } from '@jwt-factory/console'
import { readEnvFile } from '@jwt-factory/config'
import {
  ensureDemoClients,
  ensureDemoUsers,
  isLoopbackHost,
  readAdminToken,
} from '@jwt-factory/factory'
import { createHttpClient } from '@jwt-factory/http-client'
import { createLogger, formatLogLine } from '@jwt-factory/server'
import { ensureCertificates, loadTlsFiles } from '@jwt-factory/tls'
import { ensureScenario3Keys } from '@jwt-factory/service'
import { bundleApps, bundleConsolePage } from './build/bundle-apps.ts'
import { planDemo, type DemoProcess } from './demo/demo-processes.ts'
import { exitText, LaunchError } from './demo/launch.ts'
import { Supervisor } from './demo/supervisor.ts'

/**
 * `npm start`: the whole demo in one command. Serves the teaching console (its URL first), bundles
 * the apps and the console's page (`npm run build`), makes the certificates and servicea's
 * scenario-3 keys if missing, starts the factory and the three services, waits until each is
 * healthy, makes sure the factory has keys for each service, and prints what to try. A process
 * the console stops leaves the others running; one that exits on its own stops the demo. Ctrl-C
 * or SIGTERM stops every process it started, and the console.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const READY_TIMEOUT_MS = 30_000
/** How long a request the console is answering may finish once Ctrl-C is pressed. */
const CONSOLE_GRACE_MS = 1000
const prefixed = (name: string) => (line: string) => console.log(`${name.padEnd(11)}| ${line}`)
const say = prefixed('npm start')
const sayConsole = prefixed('console')

async function main(): Promise<number> {
  const plan = planDemo(root, process.env)
  // The console speaks HTTPS to the processes, verified against the CA: the certificates first.
  const certs = await ensureCertificates(plan.factory.certsDir)
  // Key management needs the admin credential when one is configured (always beyond loopback).
  const adminToken = await readAdminToken(plan.factory)
  const supervisor = new Supervisor(root, process.env)
  const consoleDir = join(root, 'apps/console')
  const consoleConfig = loadConsoleConfig(readEnvFile(join(consoleDir, '.env')), consoleDir)
  const consoleHttp = createHttpClient({
    caPem: (await loadTlsFiles(consoleConfig.certsDir)).caPem,
    timeoutMs: consoleConfig.runTimeoutMs,
  })
  const consoleServer = await startConsole(consoleConfig, {
    processes: supervisor,
    http: consoleHttp,
    logger: createLogger({
      name: 'console',
      level: consoleConfig.logLevel,
      format: 'json',
      destination: {
        write: (text: string) => text.trim() && sayConsole(formatLogLine(text.trim())),
      },
    }),
    ...(adminToken ? { adminToken } : {}),
  })
  sayConsole(`${consoleServer.url}  (the teaching console)`)

  let stopping = false
  const stop = async (code: number) => {
    if (stopping) return
    stopping = true
    say('stopping every process')
    try {
      // The console first: nothing it is asked meanwhile may start a process again.
      await consoleServer.close(CONSOLE_GRACE_MS)
      await consoleHttp.close()
    } finally {
      await supervisor.stopAll()
      say('stopped')
      // A start that failed set exitCode before it sent itself SIGTERM, whose stop says 0.
      process.exit(code || process.exitCode)
    }
  }
  process.on('SIGINT', () => void stop(0))
  process.on('SIGTERM', () => void stop(0))
  // npm forwards a signal only to its direct child; should anything ever stand between npm and
  // this process and die, this process is re-parented: then nobody is left to stop it but itself.
  const parent = process.ppid
  setInterval(() => process.ppid !== parent && void stop(0), 500).unref()

  await Promise.all([bundleApps(root), bundleConsolePage(root)])
  say('bundled the apps into apps/jwt-factory/dist, apps/service/dist and apps/console/dist')
  say(`${certs.created ? 'made' : 'kept'} the TLS certificates in ${plan.factory.certsDir}`)
  const servicea = plan.services.find((s) => s.name === 'servicea')!
  const keys = await ensureScenario3Keys(servicea.scenario3.keysDir, servicea.scenario3.algorithm)
  say(
    `${keys.created ? 'made' : 'kept'} servicea's scenario-3 keys in ${servicea.scenario3.keysDir}`,
  )
  if (isLoopbackHost(plan.factory.host)) {
    // Their passwords are in the README: only a factory reachable from this machine alone gets them.
    const { created } = await ensureDemoUsers(plan.factory.usersFile)
    say(
      `${created.length ? `made the demo users ${created.join(', ')}` : 'kept the demo users'} in ${plan.factory.usersFile}`,
    )
  } else {
    say(`no demo users: the factory listens on ${plan.factory.host}, beyond loopback`)
  }
  // The services' OAuth clients (scenario 6): random secrets, each in the file its service reads.
  const secretsDir = dirname(servicea.clientSecretFile)
  const clients = await ensureDemoClients(plan.factory.clientsFile, secretsDir)
  say(
    `${clients.created.length ? `made the demo clients ${clients.created.join(', ')}` : 'kept the demo clients'} in ${plan.factory.clientsFile} (their secrets in ${secretsDir})`,
  )

  // Only an exit nobody asked for ends the demo: a process the console stops is no failure.
  supervisor.onUnrequestedExit((name, exit) => {
    if (stopping) return
    say(`${name} exited (${exitText(exit)}); stopping the others`)
    void stop(1)
  })
  // Ctrl-C while bundling or making keys: stopAll has already run, so nothing may start after it.
  // Once stopping, stop() decides how the process exits.
  if (stopping) return 0
  const started = plan.processes.map((spec, i) => supervisor.launch(spec, i))
  // An exit before it is healthy is reported just above; a timeout fails the start.
  const healthy = (p: (typeof started)[number]) =>
    p.whenHealthy(p.spec.healthUrl, READY_TIMEOUT_MS).catch((err: unknown) => {
      if (!(err instanceof LaunchError && err.exit)) throw err
    })
  await Promise.all(started.map(healthy))
  if (stopping) return 0

  const factoryUrl = plan.processes[0]!.healthUrl.replace(/\/healthz$/, '')
  const headers: Record<string, string> = adminToken
    ? { authorization: `Bearer ${adminToken}` }
    : {}
  for (const service of plan.services) {
    const res = await fetch(`${factoryUrl}/keys/${service.name}`, { headers })
    const body = (await res.json()) as { kid?: string }
    say(
      `${res.status === 201 ? 'created' : 'found'} factory keys for ${service.name} (kid ${body.kid})`,
    )
  }
  const a = plan.processes
    .find((p) => p.name === 'servicea')!
    .healthUrl.replace(/\/healthz$/, '')
    .replace('127.0.0.1', 'localhost')
  say('ready. Try:')
  for (const line of [
    `open ${consoleServer.url} and press Scenario 1`,
    `curl ${a}/scenario1`,
    `curl "${a}/scenario1?expired=1"`,
    `curl ${a}/scenario2`,
    `curl ${a}/scenario3`,
    `curl "${a}/scenario4?expired=1&trace=1"`,
    `curl ${factoryUrl.replace('127.0.0.1', 'localhost')}/.well-known/jwks.json`,
    `curl -X POST ${factoryUrl.replace('127.0.0.1', 'localhost')}/login -u viewer:viewer-demo-password`,
  ]) {
    say(`  ${line}`)
  }
  say('Ctrl-C stops everything.')
  return 0
}

export type { DemoProcess }

main().then(
  (code) => {
    if (code !== 0) process.exitCode = code
  },
  (err: unknown) => {
    say(`cannot start the demo: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
    process.kill(process.pid, 'SIGTERM')
  },
)
