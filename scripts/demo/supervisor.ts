import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { formatLogLine } from '@jwt-factory/server'
import type { DemoProcess } from './demo-processes.ts'

const COLORS = ['\x1b[35m', '\x1b[36m', '\x1b[33m', '\x1b[32m']
const RESET = '\x1b[0m'

export interface Supervised {
  readonly spec: DemoProcess
  readonly child: ChildProcess
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>
}

/**
 * Starts and stops the demo's processes. Each line a child writes is shown prefixed by its name,
 * its JSON log lines made readable.
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

  start(spec: DemoProcess, index: number, env: NodeJS.ProcessEnv = {}): Supervised {
    const child = spawn(process.execPath, spec.args, {
      cwd: this.root,
      env: { ...this.env, ...env, LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const prefix = this.#color
      ? `${COLORS[index % COLORS.length]}${spec.name.padEnd(11)}${RESET}|`
      : `${spec.name.padEnd(11)}|`
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) =>
        this.output
          ? this.output(spec.name, line)
          : console.log(`${prefix} ${formatLogLine(line)}`),
      )
    }
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))
      child.once('error', (err) => resolve(err.message))
    })
    const supervised = { spec, child, exited }
    this.#running.push(supervised)
    return supervised
  }

  /** SIGTERM to one child; resolves when it has exited. */
  async stop(p: Supervised): Promise<void> {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM')
    await p.exited
  }

  /** SIGTERM to every child still running; SIGKILL to any that has not exited after graceMs. */
  async stopAll(graceMs = 10_000): Promise<void> {
    const alive = this.#running.filter(
      (p) => p.child.exitCode === null && p.child.signalCode === null,
    )
    for (const p of alive) p.child.kill('SIGTERM')
    const timer = setTimeout(() => alive.forEach((p) => p.child.kill('SIGKILL')), graceMs)
    await Promise.all(alive.map((p) => p.exited))
    clearTimeout(timer)
  }
}
