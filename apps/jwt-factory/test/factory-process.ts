import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleApps } from '../../../scripts/build/bundle-apps.ts'
import {
  LaunchError,
  startApp,
  type ExitResult,
  type NodeProcess,
} from '../../../scripts/demo/launch.ts'

/**
 * Runs the real factory as a child process (`node apps/jwt-factory/dist/main.js`, cwd the repo
 * root, bundled first), as `npm run factory` would, but on a free loopback port and a fresh keys
 * folder.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** Bundled once per test file, from the sources as they are now. */
let bundled: Promise<unknown> | undefined
const HOST = '127.0.0.1'

/** Variables the factory reads; the runner's own values never leak into a test's process. */
const FACTORY_VARIABLES = [
  'HOST',
  'PORT',
  'HTTPS_PORT',
  'CERTS_DIR',
  'ISSUER',
  'ALGORITHM',
  'TOKEN_TTL_SECONDS',
  'MAX_TOKEN_TTL_SECONDS',
  'CLOCK_TOLERANCE_SECONDS',
  'KEYS_DIR',
  'PUBLIC_URL',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'USERS_FILE',
  'CLIENTS_FILE',
  'REVOCATIONS_FILE',
  'POLICY_FILE',
  'USER_AUDIENCES',
  'TOTP_CHALLENGE_SECONDS',
  'LOGIN_FAILURE_WINDOW_SECONDS',
  'LOGIN_MAX_FAILURES_PER_USER',
  'LOGIN_MAX_FAILURES_PER_ADDRESS',
  'ADMIN_TOKEN',
  'ADMIN_TOKEN_FILE',
  'STORE',
  'ETCD_ENDPOINTS',
  'ETCD_PREFIX',
  'ETCD_CA_FILE',
  'ETCD_CERT_FILE',
  'ETCD_KEY_FILE',
  'ETCD_TIMEOUT_MS',
  'STORE_KEK_FILE',
]

const READY_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 5_000

export type { ExitResult }

export interface FactoryProcess {
  readonly url: string
  readonly port: number
  readonly keysDir: string
  readonly child: ChildProcess
  /** Everything the process wrote to stdout so far (its log lines). */
  stdout(): string
  stderr(): string
  /** The stdout lines that are JSON log entries. */
  logEntries(): Record<string, unknown>[]
  /** SIGTERM, wait for the exit; SIGKILL if it does not come within 5 s. */
  stop(): Promise<ExitResult>
}

export interface StartOptions {
  /** The keys folder; a fresh one (not yet created, so the factory makes it) by default. */
  keysDir?: string
  /** Extra or overriding environment variables (ALGORITHM, TOKEN_TTL_SECONDS…). */
  env?: Record<string, string>
}

/** Every process started and not yet stopped, so `stopAllFactories()` leaves none behind. */
const running = new Set<{ stop(): Promise<ExitResult> }>()
const tempDirs = new Set<string>()

/** A port nothing listens on right now: bind port 0 on loopback, read it, close. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, () => resolve())
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('probe server: no port')
  return address.port
}

/** A fresh temporary folder, removed by `cleanUp()`. */
export async function makeTempDir(prefix = 'jwt-factory-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

/** A keys folder path inside a fresh temporary folder; the factory creates it (mode 0700). */
export async function freshKeysDir(): Promise<string> {
  return join(await makeTempDir(), 'keys')
}

/**
 * The runner's environment without the factory's variables, plus the test's. HTTPS is off (the
 * certificates folder does not exist) so parallel factories never race for HTTPS_PORT; should it
 * come on anyway, its port is a free one too.
 */
/**
 * Each keys folder's PUBLIC_URL: the HTTP URL of the first factory on it (these factories serve
 * HTTP only), kept when a test starts another on the same folder, as a deployment keeps its
 * PUBLIC_URL across restarts: it is the `iss` of the tokens issued before.
 */
const publicUrls = new Map<string, string>()

async function factoryEnv(
  port: number,
  keysDir: string,
  env: Record<string, string> = {},
): Promise<NodeJS.ProcessEnv> {
  const base: NodeJS.ProcessEnv = { ...process.env }
  for (const name of FACTORY_VARIABLES) delete base[name]
  let httpsPort = await freePort()
  while (httpsPort === port) httpsPort = await freePort()
  const publicUrl = publicUrls.get(keysDir) ?? `http://${HOST}:${port}`
  publicUrls.set(keysDir, publicUrl)
  return {
    ...base,
    HOST,
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    HTTPS_PORT: String(httpsPort),
    CERTS_DIR: join(dirname(keysDir), 'no-certs'),
    KEYS_DIR: keysDir,
    // Never the repository's data/: a test's users and clients live beside its keys folder.
    USERS_FILE: join(dirname(keysDir), 'users.json'),
    CLIENTS_FILE: join(dirname(keysDir), 'clients.json'),
    REVOCATIONS_FILE: join(dirname(keysDir), 'revocations.json'),
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...env,
  }
}

function startFactoryProcess(env: NodeJS.ProcessEnv): NodeProcess {
  return startApp({
    name: 'jwt-factory',
    app: 'jwt-factory',
    cwd: REPO_ROOT,
    env,
    graceMs: STOP_TIMEOUT_MS,
  })
}

/**
 * Starts the factory and waits until GET /healthz answers 200 (at most 15 s). Fails with the
 * process's stderr when it exits first. Retries on a fresh port if another test took the port.
 */
export async function startFactory(options: StartOptions = {}): Promise<FactoryProcess> {
  const keysDir = options.keysDir ?? (await freshKeysDir())
  await (bundled ??= bundleApps(REPO_ROOT))
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const started = startFactoryProcess(await factoryEnv(port, keysDir, options.env))
    const url = `http://${HOST}:${port}`
    const factory: FactoryProcess = {
      url,
      port,
      keysDir,
      child: started.child,
      stdout: started.stdout,
      stderr: started.stderr,
      logEntries: () => parseLogLines(started.stdout()),
      stop: async () => {
        const result = await started.stop()
        running.delete(factory)
        return result
      },
    }
    running.add(factory)
    try {
      await started.whenHealthy(`${url}/healthz`, READY_TIMEOUT_MS)
      return factory
    } catch (err) {
      await factory.stop()
      if (!(err instanceof LaunchError)) throw err
      const ready = err.exit ? 'exited' : 'timeout'
      if (ready === 'exited' && /already in use/.test(err.stderr) && attempt < 3) continue
      throw new Error(
        `jwt-factory not healthy (${ready}) at ${url}\nstderr:\n${err.stderr}\nstdout:\n${err.stdout}`,
      )
    }
  }
}

export interface RunResult extends ExitResult {
  stdout: string
  stderr: string
}

/**
 * Starts the factory where it is expected to fail at start, and waits for its exit (15 s at most,
 * then it is killed and the result says so). `port` defaults to a free one.
 */
export async function runFactoryToExit(
  options: StartOptions & { port?: number } = {},
): Promise<RunResult> {
  const keysDir = options.keysDir ?? (await freshKeysDir())
  const port = options.port ?? (await freePort())
  await (bundled ??= bundleApps(REPO_ROOT))
  const started = startFactoryProcess(await factoryEnv(port, keysDir, options.env))
  running.add(started)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), READY_TIMEOUT_MS)
  })
  try {
    let result = await Promise.race([started.exited, timeout])
    // Still running after 15 s: it did not fail at start. Say so as code null.
    if (result === undefined) result = { ...(await started.stop()), code: null }
    return { ...result, stdout: started.stdout(), stderr: started.stderr() }
  } finally {
    clearTimeout(timer)
    running.delete(started)
  }
}

/** Stops every factory this test file started; for afterAll/afterEach. */
export async function stopAllFactories(): Promise<void> {
  await Promise.all([...running].map((factory) => factory.stop()))
  running.clear()
}

/** Stops every factory, then removes every temporary folder. */
export async function cleanUp(): Promise<void> {
  await stopAllFactories()
  await Promise.all([...tempDirs].map((dir) => rm(dir, { recursive: true, force: true })))
  tempDirs.clear()
}

export function parseLogLines(text: string): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      entries.push(JSON.parse(line) as Record<string, unknown>)
    } catch {
      // a line cut in half by a still-running write
    }
  }
  return entries
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Waits until `check` passes (logs are written asynchronously, watches deliver); 5 s at most. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 5_000,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await delay(25)
  }
}

/** fetch + the body as text and, when it is JSON, parsed. */
export async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const res = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(10_000) })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

/** POST with a JSON body. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}
