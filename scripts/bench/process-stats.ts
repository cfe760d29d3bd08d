import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { processTree } from '../demo/process-tree.ts'

/** Clock ticks per second of /proc/<pid>/stat's times; 100 on every Linux this runs on. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** Resident set size of a process, in bytes, from /proc/<pid>/status; undefined once it is gone. */
export function readRss(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** User + system CPU time a process has used so far, in seconds, from /proc/<pid>/stat. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may hold spaces, closed by the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

/** CPU time every core of the machine has spent busy so far, in seconds, from /proc/stat. */
export function readMachineBusySeconds(): number | undefined {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .map(Number)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

/**
 * Samples the RSS of named processes every `intervalMs` and keeps each one's peak. A name's RSS is
 * its whole process tree's (a factory's workers count with it); `largestPeaks` keeps the peak of
 * its largest single process, and `processes` how many it had at most.
 */
export class RssMonitor {
  readonly peaks = new Map<string, number>()
  readonly largestPeaks = new Map<string, number>()
  readonly processes = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined

  constructor(
    readonly pids: ReadonlyMap<string, number>,
    readonly intervalMs = 200,
  ) {}

  /** One sample of every process, which also counts towards the peaks. */
  sample(): Map<string, number> {
    const now = new Map<string, number>()
    for (const [name, pid] of this.pids) {
      const each = processTree(pid)
        .map(readRss)
        .filter((rss) => rss !== undefined)
      if (each.length === 0) continue
      const rss = each.reduce((a, b) => a + b, 0)
      now.set(name, rss)
      this.peaks.set(name, Math.max(rss, this.peaks.get(name) ?? 0))
      this.largestPeaks.set(name, Math.max(...each, this.largestPeaks.get(name) ?? 0))
      this.processes.set(name, Math.max(each.length, this.processes.get(name) ?? 0))
    }
    return now
  }

  start(): void {
    this.#timer ??= setInterval(() => this.sample(), this.intervalMs)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}

/**
 * CPU used by each process between `start()` and `stop()`, as a percentage of one core; `bench`
 * is this process (the load generator), `other` whatever else kept the machine busy meanwhile.
 */
export class CpuMeter {
  /** CPU seconds at start(), by pid. */
  #started = new Map<number, number>()
  #self = process.cpuUsage()
  #machine = 0
  #at = performance.now()

  constructor(readonly pids: ReadonlyMap<string, number>) {}

  start(): void {
    this.#at = performance.now()
    this.#self = process.cpuUsage()
    this.#machine = readMachineBusySeconds() ?? Number.NaN
    this.#started.clear()
    for (const pid of this.pids.values())
      for (const each of processTree(pid)) this.#started.set(each, readCpuSeconds(each) ?? 0)
  }

  stop(): Record<string, number> {
    const seconds = (performance.now() - this.#at) / 1000
    const used: Record<string, number> = {}
    // A name's whole process tree; a process started meanwhile counts from zero.
    for (const [name, pid] of this.pids) {
      const trees = processTree(pid).map(
        (each) => (readCpuSeconds(each) ?? Number.NaN) - (this.#started.get(each) ?? 0),
      )
      used[name] = trees.reduce((a, b) => a + b, 0)
    }
    const self = process.cpuUsage(this.#self)
    used.bench = (self.user + self.system) / 1e6
    const ours = Object.values(used).reduce((a, b) => a + b, 0)
    used.other = Math.max(0, (readMachineBusySeconds() ?? Number.NaN) - this.#machine - ours)
    return Object.fromEntries(Object.entries(used).map(([name, s]) => [name, (s / seconds) * 100]))
  }
}

/**
 * Waits until other processes leave the machine alone: `other` CPU under `threshold` % of one
 * core for one whole second, or `maxMs` have passed. Returns how long it waited, in ms.
 */
export async function waitForIdleMachine(
  pids: ReadonlyMap<string, number>,
  maxMs: number,
  threshold = 10,
): Promise<number> {
  const meter = new CpuMeter(pids)
  const started = performance.now()
  while (performance.now() - started < maxMs) {
    meter.start()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    if ((meter.stop().other ?? 0) < threshold) break
  }
  return performance.now() - started
}
