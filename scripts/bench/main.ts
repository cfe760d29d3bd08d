import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Cluster, PROCESS_NAMES, root } from '../demo/cluster.ts'
import { BenchStoreRunner } from './bench-store.ts'
import { CONSOLE_OPENS, measureConsolePaint } from './console-paint.ts'
import { measureCryptoLimits, type CryptoLimits } from './crypto-limits.ts'
import { httpRows, runHttpRow, type HttpRowResult } from './http-rows.ts'
import {
  parseBenchOptions,
  REFERENCE_ROW_IDS,
  USAGE,
  UsageError,
  type BenchOptions,
} from './options.ts'
import { CpuMeter, RssMonitor, waitForIdleMachine } from './process-stats.ts'
import { besideTheirRows } from './reference-ratios.ts'
import { issueBareToken, referenceRows } from './reference-rows.ts'
import { REFERENCE_NAMES, ReferenceServers } from './reference-servers.ts'
import { ROTATION_LABEL, runRotationRow } from './rotation-row.ts'
import { buildReport, formatReport, type BenchReport } from './report.ts'

/**
 * `npm run bench`: measures the crypto limits in this process, starts the factory and the three
 * services, drives each row with a closed-loop load over loopback, and prints what it measured.
 * It reports; it never fails on a figure. Whatever happens, every process it started is stopped.
 */
const IDLE_BEFORE_MS = 1000
/**
 * "After" is measured once the run has settled: past the agents' 10 s keep-alive timeout, so the
 * pooled TLS connections of the run have closed, and long enough for V8's memory reducer to
 * compact an idle heap. Sooner, it measures the run's last sockets and garbage, not a leak.
 */
const IDLE_AFTER_MS = 15_000
const say = (line: string) => process.stderr.write(`bench | ${line}\n`)
const MB = 2 ** 20

/** Aborted on Ctrl-C, SIGTERM or a failure: the load stops first, so the servers have nothing to drain. */
const stopLoad = new AbortController()
let cluster: Cluster | undefined
let launching: Promise<void> | undefined
let monitor: RssMonitor | undefined
let references: ReferenceServers | undefined
const storeRunner = new BenchStoreRunner()

async function run(options: BenchOptions): Promise<BenchReport> {
  const secs = options.durationSeconds
  let crypto: CryptoLimits | undefined
  if (options.rows.has('crypto')) {
    say(
      `(1) in-process ${options.algorithm} sign and verify, 1 and ${options.connections} in flight, ${secs / 2} s each`,
    )
    crypto = await measureCryptoLimits({
      algorithm: options.algorithm,
      inFlight: options.connections,
      durationMs: (secs * 1000) / 2,
      beforeEach: () => waitIdle(options, new Map()),
    })
  }
  const wanted = [...options.rows].filter((id) => id !== 'crypto')
  if (wanted.length === 0) return buildReport(options, crypto, [], undefined)

  if (options.store === 'etcd') say('starting one etcd member on free loopback ports')
  const store = await storeRunner.start(options.store)
  if (stopLoad.signal.aborted) return new Promise<never>(() => undefined) // stopping: see main() and the signal handlers
  say(
    `starting jwt-factory (ALGORITHM=${options.algorithm}, STORE=${options.store}, WORKERS=${options.workers[0]}), servicea, serviceb, servicec`,
  )
  cluster = new Cluster()
  launching = cluster.launch({
    logLevel: 'warn',
    algorithm: options.algorithm,
    env: { 'jwt-factory': { ...store.factoryEnv, WORKERS: String(options.workers[0]) } },
    nodeArgs: await profileArgs(options.cpuProfDir),
  })
  await launching
  const running = cluster
  const withReferences = REFERENCE_ROW_IDS.some((id) => options.rows.has(id))
  if (withReferences) {
    say(
      `starting the reference servers: bare node:https and oauth2-mock-server (${options.algorithm})`,
    )
    references = new ReferenceServers()
    await references.launch({
      root,
      algorithm: options.algorithm,
      // The cluster's own folder: the same server certificate, under the CA the load trusts.
      certsDir: join(running.dir, 'certs'),
      nodeArgs: await profileArgs(options.cpuProfDir),
    })
  }
  const refs = references
  const pids = new Map<string, number>([
    ...PROCESS_NAMES.map((name) => [name, running.pidOf(name)!] as const),
    ...(refs ? REFERENCE_NAMES.map((name) => [name, refs.pidOf(name)!] as const) : []),
    ...store.pids,
  ])
  if (options.cpuProfDir)
    say(
      // Node's processes only: etcd writes no V8 profile.
      `CPU profiles go to ${options.cpuProfDir}; pids ${[...PROCESS_NAMES, ...(refs ? REFERENCE_NAMES : [])].map((n) => `${n} ${pids.get(n)}`).join(', ')}`,
    )
  const restartedDied = new ExitWatch()
  const died = running.firstExit().then(({ name, code }): never | Promise<never> => {
    // Stopped by us, or the factory restarted with other WORKERS (watched again then): not a failure.
    if (stopping || (restarting && name === 'jwt-factory'))
      return new Promise<never>(() => undefined)
    throw new Error(
      `${name} exited (${code}) during the run:\n${running.logsOf(name).slice(-20).join('\n')}`,
    )
  })
  const referenceDied = refs
    ? refs.firstExit().then(({ name, code, stderr }): never | Promise<never> => {
        if (stopping) return new Promise<never>(() => undefined)
        throw new Error(`${name} exited (${code}) during the run:\n${stderr.slice(-2000)}`)
      })
    : new Promise<never>(() => undefined)

  const measure = async () => {
    const token = await issueToken(running)
    const rows = besideTheirRows(
      httpRows(running, token),
      refs ? referenceRows(refs, await issueBareToken(running.https.agent, refs)) : [],
    )
    await sleep(IDLE_BEFORE_MS)
    // Its own names: the factory restarted with other WORKERS is measured under a name of its own.
    const rssPids = new Map(pids)
    monitor = new RssMonitor(rssPids)
    const before = monitor.sample()
    const after = new Map<string, number>()
    monitor.start()
    const cpu = new CpuMeter(pids)
    const rowOptions = {
      caPem: running.caPem,
      connections: options.connections,
      durationMs: secs * 1000,
      cpu,
      signal: stopLoad.signal,
      beforeEach: () => waitIdle(options, pids),
    }
    const results: HttpRowResult[] = []
    for (const row of rows.filter((r) => options.rows.has(r.id))) {
      if (stopLoad.signal.aborted) break
      say(
        `${row.label}: ${options.connections} connections${row.alsoSingle ? ', then 1' : ''}, ${secs} s`,
      )
      results.push(await runHttpRow(row, rowOptions))
    }
    if (options.rows.has('rotate') && !stopLoad.signal.aborted) {
      say(`${ROTATION_LABEL}: one write at a time, ${secs} s`)
      results.push(await runRotationRow(running, rowOptions))
    }
    for (const workers of options.workers.slice(1)) {
      const again = rows.filter((r) => AGAIN_WITH_WORKERS.has(r.id) && options.rows.has(r.id))
      if (again.length === 0 || stopLoad.signal.aborted) break
      say(`restarting jwt-factory with WORKERS=${workers}`)
      const name = `jwt-factory, ${workers} workers`
      for (const [n, rss] of monitor.sample()) if (n.startsWith('jwt-factory')) after.set(n, rss)
      rssPids.forEach((_, n) => n.startsWith('jwt-factory') && rssPids.delete(n))
      restarting = true
      await running.restartProcess('jwt-factory', { WORKERS: String(workers) })
      restarting = false
      const pid = running.pidOf('jwt-factory')!
      pids.set('jwt-factory', pid) // the CPU columns follow the factory that answers
      rssPids.set(name, pid)
      restartedDied.watch(running)
      await sleep(IDLE_BEFORE_MS)
      before.set(name, monitor.sample().get(name)!)
      for (const row of again) {
        if (stopLoad.signal.aborted) break
        const label = `${row.label}, ${workers} workers`
        say(`${label}: ${options.connections} connections, ${secs} s`)
        results.push(await runHttpRow({ ...row, label }, rowOptions))
      }
    }
    if (stopLoad.signal.aborted) return new Promise<never>(() => undefined) // stopping: see main() and the signal handlers
    say(`idle ${IDLE_AFTER_MS / 1000} s, then RSS after`)
    await sleep(IDLE_AFTER_MS)
    for (const [name, rss] of monitor.sample()) after.set(name, rss)
    monitor.stop()
    const memory: NonNullable<BenchReport['memory']> = {}
    for (const name of before.keys()) {
      const processes = monitor.processes.get(name) ?? 1
      memory[name] = {
        beforeMb: before.get(name)! / MB,
        peakMb: monitor.peaks.get(name)! / MB,
        afterMb: after.get(name)! / MB,
        ...(processes > 1
          ? { processes, largestPeakMb: monitor.largestPeaks.get(name)! / MB }
          : {}),
      }
    }
    const report = buildReport(options, crypto, results, memory)
    if (!options.rows.has('console') || stopLoad.signal.aborted) return report
    say(`console first paint: the page opened ${CONSOLE_OPENS} times, a fresh context each`)
    // A figure it could not take (no chromium here) is said, not a failed bench.
    const paint = await measureConsolePaint(running).catch((err: unknown) => {
      say(`console first paint not measured: ${err instanceof Error ? err.message : String(err)}`)
    })
    return paint ? { ...report, console: paint } : report
  }
  return Promise.race([measure(), died, referenceDied, restartedDied.failed])
}

async function waitIdle(options: BenchOptions, pids: ReadonlyMap<string, number>): Promise<void> {
  if (options.waitIdleSeconds === 0 || stopLoad.signal.aborted) return
  const waited = await waitForIdleMachine(pids, options.waitIdleSeconds * 1000)
  if (waited > 1500)
    say(`waited ${(waited / 1000).toFixed(0)} s for other processes to leave the CPU alone`)
}

/** A valid token for the verify row: aud serviceb, sub servicea, as serviceb would send it. */
async function issueToken(running: Cluster): Promise<string> {
  const url = `${running.urls.factoryHttps}/issueToken/servicea`
  const res = await running.https.requestJson('jwt-factory', url, { body: { aud: 'serviceb' } })
  const token = (res.body as { access_token?: unknown } | null)?.access_token
  if (res.status !== 200 || typeof token !== 'string')
    throw new Error(`the factory did not issue a token (${res.status})`)
  return token
}

async function profileArgs(dir: string | undefined): Promise<string[]> {
  if (!dir) return []
  const abs = resolve(dir)
  await mkdir(abs, { recursive: true })
  return ['--cpu-prof', `--cpu-prof-dir=${abs}`]
}

let stopping: Promise<void> | undefined
/** Set while the factory is restarted with other WORKERS: its exit then is ours. */
let restarting = false

/** Fails when a process restarted during the run exits on its own. */
class ExitWatch {
  #fail: (err: Error) => void = () => undefined
  readonly failed = new Promise<never>((_, reject) => (this.#fail = reject))

  watch(running: Cluster): void {
    void running.firstExit().then(({ name, code }) => {
      if (stopping || restarting) return
      this.#fail(
        new Error(
          `${name} exited (${code}) during the run:\n${running.logsOf(name).slice(-20).join('\n')}`,
        ),
      )
    })
  }
}

/** The rows measured again with each further --workers: the factory's own HTTP rows. */
const AGAIN_WITH_WORKERS = new Set(['issue', 'verify', 'jwks'])

/** Stops the processes (also one still being started) and removes the temporary folder. */
function stopEverything(): Promise<void> {
  stopping ??= (async () => {
    monitor?.stop()
    if (cluster) {
      say('stopping every process')
      await cluster.stop()
      await launching?.catch(() => undefined)
      await cluster.stop()
    }
    await references?.stop()
    // After the factory, which would otherwise log every call it could no longer make.
    await storeRunner.stop()
  })()
  return stopping
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    say(`${signal}: stopping`)
    stopLoad.abort()
    void stopEverything().finally(() => process.exit(code))
  })
}

async function main(): Promise<number> {
  let options: BenchOptions | undefined
  try {
    options = parseBenchOptions(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`${err.message}\n\n${USAGE}\n`)
    return 2
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  try {
    const report = await run(options)
    await stopEverything()
    process.stdout.write(
      options.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report)}\n`,
    )
    return 0
  } catch (err) {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`)
    stopLoad.abort()
    await stopEverything()
    return 1
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err)
    process.exitCode = 1
    void stopEverything()
  },
)
