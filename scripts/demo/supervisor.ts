import type { ProcessController, ProcessInfo, ProcessListener } from '@jwt-factory/console'
import { formatLogLine } from '@jwt-factory/server'
import { isSpanLogMessage, SPAN_LOG_MESSAGE } from '@jwt-factory/trace'
import type { DemoProcess } from './demo-processes.ts'
import { startApp, type ExitResult, type NodeProcess } from './launch.ts'
import { signalTree } from './process-tree.ts'

const COLORS = ['\x1b[35m', '\x1b[36m', '\x1b[33m', '\x1b[32m']
const RESET = '\x1b[0m'
/** How long a launched process may take to answer its /healthz before a start waiting fails. */
const READY_TIMEOUT_MS = 30_000

export interface Supervised extends NodeProcess {
  readonly spec: DemoProcess
}

/** How each process was first launched, so it starts again the same; and what it is doing. */
interface Entry {
  spec: DemoProcess
  index: number
  env: NodeJS.ProcessEnv
  nodeArgs: readonly string[]
  current: Supervised
  frozen: boolean
  /** Its /healthz answered: until then it is `starting`, and a scenario would get a 502. */
  healthy: boolean
  /**
   * Settles once it is healthy, or rejects when it exits first or never answers: every start
   * asked while it is starting waits on this one launch and its one health poll.
   */
  ready: Promise<void>
  /** The current child was asked to stop: its exit is no failure. */
  stopping: boolean
}

/** A process that exited when nobody asked it to (a crash, a port in use). */
export type UnrequestedExitListener = (name: string, exit: ExitResult) => void

/**
 * The demo's processes, started and stopped together, and one by one from the teaching console
 * (stop, start again as first started, freeze with SIGSTOP, thaw with SIGCONT). Each line a
 * child writes goes to every subscriber (the console) and to `output`: by default the terminal,
 * prefixed by its name in its colour, its JSON log lines made readable, except span lines,
 * which are the console's to draw.
 */
export class Supervisor implements ProcessController {
  readonly #processes = new Map<string, Entry>()
  readonly #listeners = new Set<ProcessListener>()
  readonly #exitListeners = new Set<UnrequestedExitListener>()
  readonly #color = process.stdout.isTTY

  constructor(
    readonly root: string,
    readonly env: NodeJS.ProcessEnv,
    /** Where each output line goes besides the subscribers; the terminal by default. */
    readonly output?: (name: string, line: string) => void,
  ) {}

  /**
   * Starts one (again, under a name it knew: with this spec); `nodeArgs` go before the V8 flags
   * (--cpu-prof). See whenHealthy for readiness.
   */
  launch(
    spec: DemoProcess,
    index: number,
    env: NodeJS.ProcessEnv = {},
    nodeArgs: readonly string[] = [],
  ): Supervised {
    return this.#launch(spec, index, env, nodeArgs).current
  }

  #launch(
    spec: DemoProcess,
    index: number,
    env: NodeJS.ProcessEnv,
    nodeArgs: readonly string[],
  ): Entry {
    const prefix = this.#color
      ? `${COLORS[index % COLORS.length]}${spec.name.padEnd(11)}${RESET}|`
      : `${spec.name.padEnd(11)}|`
    const started = startApp({
      name: spec.name,
      app: spec.app,
      appArgs: spec.appArgs,
      nodeArgs,
      cwd: this.root,
      env: { ...this.env, ...env, LOG_FORMAT: 'json' },
      onLine: (line, stream) => {
        for (const listener of this.#listeners) listener.line(spec.name, line, stream)
        if (this.output) this.output(spec.name, line)
        else if (!isSpanLine(line)) console.log(`${prefix} ${formatLogLine(line)}`)
      },
    })
    const supervised: Supervised = { ...started, spec }
    const ready = supervised.whenHealthy(spec.healthUrl, READY_TIMEOUT_MS).then(() => {
      entry.healthy = true
      this.#emitIfCurrent(entry)
    })
    ready.catch(() => {}) // an exit is reported below; a start that never answers, to its waiters
    const entry: Entry = {
      spec,
      index,
      env,
      nodeArgs,
      current: supervised,
      frozen: false,
      healthy: false,
      ready,
      stopping: false,
    }
    this.#processes.set(spec.name, entry)
    void supervised.exited.then((exit) => {
      entry.frozen = false
      // A launch the name has since moved on from says nothing of the process there now.
      if (!this.#emitIfCurrent(entry)) return
      if (!entry.stopping) for (const listener of this.#exitListeners) listener(spec.name, exit)
    })
    this.#emit(entry)
    return entry
  }

  list(): ProcessInfo[] {
    return [...this.#processes.values()].map(info)
  }

  /** Starts it again as it was launched and waits until it is healthy; thaws a frozen one. */
  async start(name: string): Promise<ProcessInfo> {
    let entry = this.#entry(name)
    if (entry.frozen) return this.thaw(name)
    if (entry.current.hasExited()) {
      entry = this.#launch(entry.spec, entry.index, entry.env, entry.nodeArgs)
    }
    await entry.ready
    return info(entry)
  }

  /** SIGTERM (SIGCONT first: a stopped process would not act on it), SIGKILL after graceMs. */
  async stop(name: string, graceMs?: number): Promise<ProcessInfo> {
    const entry = this.#entry(name)
    entry.stopping = true
    if (entry.frozen) signalTree(entry.current.child.pid!, 'SIGCONT')
    await entry.current.stop(graceMs)
    return info(entry)
  }

  /**
   * SIGSTOP, to the process and every process under it: its sockets stay open and nothing
   * answers, so its callers time out (504).
   */
  freeze(name: string): ProcessInfo {
    return this.#signal(name, 'SIGSTOP', true)
  }

  thaw(name: string): ProcessInfo {
    return this.#signal(name, 'SIGCONT', false)
  }

  subscribe(listener: ProcessListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** `npm start` ends the demo on such an exit; a stop asked for here is none. */
  onUnrequestedExit(listener: UnrequestedExitListener): () => void {
    this.#exitListeners.add(listener)
    return () => this.#exitListeners.delete(listener)
  }

  /** Every child still running, thawed, then SIGTERM; SIGKILL to any still there after graceMs. */
  async stopAll(graceMs?: number): Promise<void> {
    await Promise.all([...this.#processes.keys()].map((name) => this.stop(name, graceMs)))
  }

  #entry(name: string): Entry {
    const entry = this.#processes.get(name)
    if (!entry) throw new TypeError(`Supervisor: no process named ${name}`)
    return entry
  }

  #signal(name: string, signal: 'SIGSTOP' | 'SIGCONT', frozen: boolean): ProcessInfo {
    const entry = this.#entry(name)
    if (entry.current.hasExited()) throw new TypeError(`Supervisor: ${name} is not running`)
    if (entry.frozen !== frozen) {
      // The whole tree: a factory with WORKERS > 1 answers from its workers, not its primary.
      signalTree(entry.current.child.pid!, signal)
      entry.frozen = frozen
      this.#emit(entry)
    }
    return info(entry)
  }

  /** Tells the listeners of the entry's state when it is still the one its name runs. */
  #emitIfCurrent(entry: Entry): boolean {
    if (this.#processes.get(entry.spec.name) !== entry) return false
    this.#emit(entry)
    return true
  }

  #emit(entry: Entry): void {
    const current = info(entry)
    for (const listener of this.#listeners) listener.state(current)
  }
}

function info({ spec, current, frozen, healthy }: Entry): ProcessInfo {
  const exited = current.hasExited()
  const pid = exited ? undefined : current.child.pid
  return {
    name: spec.name,
    state: exited ? 'stopped' : frozen ? 'frozen' : healthy ? 'running' : 'starting',
    ...(pid === undefined ? {} : { pid }),
    ports: spec.ports,
  }
}

/**
 * A span's log line (pino's `msg: "span"` or `"span started"`): drawn by the console, not
 * printed. Both messages begin with SPAN_LOG_MESSAGE, so one cheap look skips every other line.
 */
function isSpanLine(line: string): boolean {
  if (!line.includes(`"msg":"${SPAN_LOG_MESSAGE}`)) return false
  try {
    return isSpanLogMessage((JSON.parse(line) as { msg?: unknown }).msg)
  } catch {
    return false
  }
}
