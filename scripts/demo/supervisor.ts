import { formatLogLine } from '@jwt-factory/server'
import type { DemoProcess } from './demo-processes.ts'
import { startApp, type NodeProcess } from './launch.ts'

const COLORS = ['\x1b[35m', '\x1b[36m', '\x1b[33m', '\x1b[32m']
const RESET = '\x1b[0m'

export interface Supervised extends NodeProcess {
  readonly spec: DemoProcess
}

/**
 * The demo's processes, started and stopped together. Each line a child writes is shown prefixed
 * by its name, its JSON log lines made readable.
 */
export class Supervisor {
  readonly #running: Supervised[] = []
  readonly #color = process.stdout.isTTY

  constructor(
    readonly root: string,
    readonly env: NodeJS.ProcessEnv,
    /** Where each output line goes; the console, prefixed by name, by default. */
    readonly output?: (name: string, line: string) => void,
  ) {}

  /** Starts one; `nodeArgs` go before the V8 flags (--cpu-prof). See whenHealthy for readiness. */
  start(
    spec: DemoProcess,
    index: number,
    env: NodeJS.ProcessEnv = {},
    nodeArgs: readonly string[] = [],
  ): Supervised {
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
      onLine: (line) =>
        this.output
          ? this.output(spec.name, line)
          : console.log(`${prefix} ${formatLogLine(line)}`),
    })
    const supervised = { ...started, spec }
    this.#running.push(supervised)
    return supervised
  }

  /** SIGTERM to every child still running; SIGKILL to any that has not exited after graceMs. */
  async stopAll(graceMs?: number): Promise<void> {
    await Promise.all(this.#running.map((p) => p.stop(graceMs)))
  }
}
