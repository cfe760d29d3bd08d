import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { APP_BUNDLES, APP_NODE_FLAGS } from '../build/bundle-apps.ts'
import { inNetns } from '../net/test-hosts-ip.ts'

/**
 * The one way this repository starts its own processes, for `npm start`, the bench, the soak and
 * the tests: node with the app's bundle (`npm run build`) and the V8 flags the npm scripts use,
 * output captured, ready once its /healthz answers, stopped by its pid.
 */
export interface ExitResult {
  code: number | null
  signal: NodeJS.Signals | null
  /** Set when node could not start the process at all. */
  error?: Error
}

/** How an exit reads in a message: the code, else the signal. */
export const exitText = (exit: ExitResult): string =>
  String(exit.code ?? exit.signal ?? exit.error?.message)

export interface NodeProcessOptions {
  /** For messages: jwt-factory, servicea, users-cli… */
  name: string
  /** Arguments to node. */
  args: readonly string[]
  cwd: string
  /** The child's whole environment; nothing else is inherited. */
  env: NodeJS.ProcessEnv
  /** Written to the child's stdin, which is then closed; closed at once when absent. */
  stdin?: string
  /** Each line the child writes, as it comes. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  /** How long stop() waits after SIGTERM before SIGKILL; default 10 s. */
  graceMs?: number
  /** Run as this user and group (a container's USER); needs root. Default: as this process. */
  user?: { uid: number; gid: number }
  /**
   * Run inside this network namespace (a test host's, scripts/net/test-hosts.ts); the pid is still
   * node's. Needs root, so not with `user`.
   */
  netns?: string
}

export interface NodeProcess {
  readonly name: string
  readonly child: ChildProcess
  /** What it wrote so far (the latest MAX_OUTPUT_CHARS of each stream). */
  stdout(): string
  stderr(): string
  /** Resolves with the exit, once its output is fully read. */
  readonly exited: Promise<ExitResult>
  hasExited(): boolean
  /** SIGTERM, then SIGKILL if it has not exited after graceMs; resolves with the exit. */
  stop(graceMs?: number): Promise<ExitResult>
  /**
   * Resolves once GET healthUrl answers 200. Rejects with a LaunchError when the process exits
   * first (the error carries its output) or within timeoutMs it never answered.
   */
  whenHealthy(healthUrl: string, timeoutMs: number): Promise<void>
}

/** A long-running process (npm start, the soak) must not keep all it ever wrote in memory. */
const MAX_OUTPUT_CHARS = 4 * 2 ** 20
const DEFAULT_GRACE_MS = 10_000
/** One health request; a squatter on the port that accepts and never answers must not hang it. */
const HEALTH_REQUEST_TIMEOUT_MS = 1000
const HEALTH_RETRY_MS = 50

/** Why a process did not become healthy: it exited first (`exit` set), or it never answered. */
export class LaunchError extends Error {
  override readonly name = 'LaunchError'
  constructor(
    message: string,
    readonly exit: ExitResult | undefined,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message)
  }
}

export function spawnNode(options: NodeProcessOptions): NodeProcess {
  const { command, args } = inNetns(options.netns, process.execPath, options.args)
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...options.user,
  })
  const output = { stdout: '', stderr: '' }
  for (const stream of ['stdout', 'stderr'] as const) {
    const readable = child[stream]! // piped, above
    readable.setEncoding('utf8').on('data', (chunk: string) => {
      const text = output[stream] + chunk
      output[stream] = text.length > MAX_OUTPUT_CHARS ? text.slice(-MAX_OUTPUT_CHARS) : text
    })
    if (options.onLine) {
      const onLine = options.onLine
      createInterface({ input: readable }).on('line', (line) => onLine(line, stream))
    }
  }
  if (options.stdin !== undefined) {
    child.stdin!.on('error', () => {}) // it may exit, or be killed, before reading its input
    child.stdin!.end(options.stdin)
  }
  const exited = new Promise<ExitResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }))
    // No 'close' follows when the process could not be started.
    child.once('error', (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, error })
    })
  })
  const hasExited = () => child.exitCode !== null || child.signalCode !== null

  const stop = async (graceMs = options.graceMs ?? DEFAULT_GRACE_MS): Promise<ExitResult> => {
    if (!hasExited()) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    try {
      return await exited
    } finally {
      clearTimeout(timer)
    }
  }

  const whenHealthy = async (healthUrl: string, timeoutMs: number): Promise<void> => {
    const exitedFirst = exited.then((exit) => {
      throw new LaunchError(
        `${options.name} exited (${exitText(exit)}) before ${healthUrl} answered` +
          `\nstderr:\n${output.stderr}\nstdout:\n${output.stdout}`,
        exit,
        output.stdout,
        output.stderr,
      )
    })
    const deadline = Date.now() + timeoutMs
    let done = false
    const poll = async () => {
      while (!done && Date.now() < deadline) {
        if (await answers200(healthUrl)) return
        await new Promise((resolve) => setTimeout(resolve, HEALTH_RETRY_MS))
      }
      if (done) return
      throw new LaunchError(
        `${options.name} did not answer ${healthUrl} within ${timeoutMs / 1000} s`,
        undefined,
        output.stdout,
        output.stderr,
      )
    }
    try {
      await Promise.race([poll(), exitedFirst])
    } finally {
      done = true
      exitedFirst.catch(() => {}) // settled later, or never: nobody waits on it any more
    }
  }

  return {
    name: options.name,
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    exited,
    hasExited,
    stop,
    whenHealthy,
  }
}

async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS) })
    await res.arrayBuffer()
    return res.status === 200
  } catch {
    return false // not listening yet
  }
}

export type AppName = keyof typeof APP_BUNDLES

export interface AppProcessOptions extends Omit<NodeProcessOptions, 'args' | 'stdin'> {
  app: AppName
  /** The app's own arguments, after its bundle: the service's name. */
  appArgs?: readonly string[]
  /** Node options before the V8 flags, e.g. --cpu-prof (which NODE_OPTIONS refuses). */
  nodeArgs?: readonly string[]
}

/** Starts an app as `npm run factory` and `npm run servicea` do; whenHealthy says when it is ready. */
export function startApp(options: AppProcessOptions): NodeProcess {
  const { app, appArgs = [], nodeArgs = [], ...rest } = options
  const bundle = join(options.cwd, APP_BUNDLES[app].outfile)
  return spawnNode({ ...rest, args: [...nodeArgs, ...APP_NODE_FLAGS, bundle, ...appArgs] })
}
