import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureDemoUsers, isLoopbackHost, readAdminToken } from '@jwt-factory/factory'
import { ensureCertificates } from '@jwt-factory/tls'
import { ensureScenario3Keys } from '@jwt-factory/service'
import { bundleApps } from './build/bundle-apps.ts'
import { planDemo, type DemoProcess } from './demo/demo-processes.ts'
import { exitText, LaunchError } from './demo/launch.ts'
import { Supervisor } from './demo/supervisor.ts'

/**
 * `npm start`: the whole demo in one command. Bundles the apps (`npm run build`), makes the
 * certificates and servicea's scenario-3 keys if missing, starts the factory and the three services, waits until each is healthy,
 * makes sure the factory has keys for each service, and prints what to try. Ctrl-C or SIGTERM
 * stops every process it started.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const READY_TIMEOUT_MS = 30_000
const say = (line: string) => console.log(`${'npm start'.padEnd(11)}| ${line}`)

async function main(): Promise<number> {
  const plan = planDemo(root, process.env)
  await bundleApps(root)
  say('bundled the apps into apps/jwt-factory/dist and apps/service/dist')
  const certs = await ensureCertificates(plan.factory.certsDir)
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

  const supervisor = new Supervisor(root, process.env)
  let stopping = false
  const stop = async (code: number) => {
    if (stopping) return
    stopping = true
    say('stopping every process')
    await supervisor.stopAll()
    say('stopped')
    process.exit(code)
  }
  process.on('SIGINT', () => void stop(0))
  process.on('SIGTERM', () => void stop(0))
  // npm forwards a signal only to its direct child; should anything ever stand between npm and
  // this process and die, this process is re-parented: then nobody is left to stop it but itself.
  const parent = process.ppid
  setInterval(() => process.ppid !== parent && void stop(0), 500).unref()

  const started = plan.processes.map((spec, i) => supervisor.start(spec, i))
  for (const p of started) {
    void p.exited.then((exit) => {
      if (stopping) return
      say(`${p.name} exited (${exitText(exit)}); stopping the others`)
      void stop(1)
    })
  }
  // An exit before it is healthy is reported just above; a timeout fails the start.
  const healthy = (p: (typeof started)[number]) =>
    p.whenHealthy(p.spec.healthUrl, READY_TIMEOUT_MS).catch((err: unknown) => {
      if (!(err instanceof LaunchError && err.exit)) throw err
    })
  await Promise.all(started.map(healthy))
  if (stopping) return 1

  const factoryUrl = plan.processes[0]!.healthUrl.replace(/\/healthz$/, '')
  // Key management needs the admin credential when one is configured (always beyond loopback).
  const adminToken = await readAdminToken(plan.factory)
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
