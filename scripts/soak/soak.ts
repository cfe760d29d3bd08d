import { Cluster, type ProcessName, PROCESS_NAMES } from '../demo/cluster.ts'
import { runLoad, type LoadResult } from '../bench/load.ts'
import { readRss } from '../bench/process-stats.ts'

export interface SoakOptions {
  durationSeconds: number
  /** Connections in all, shared evenly by the scenarios (default 64). */
  connections?: number
  /** Length of one window of the p99-over-time series (default 10 s). */
  windowSeconds?: number
  /** Load before the first window, not counted, before RSS "at start" is read (default 5 s). */
  warmupSeconds?: number
  signal?: AbortSignal
  onWindow?: (window: SoakWindow) => void
}

export interface SoakWindow {
  index: number
  requests: number
  p99Ms: number
  errors: number
  /** Answers other than 200, and requests that got no answer, by scenario. */
  failures: Record<string, number>
}

export interface SoakReport {
  durationSeconds: number
  connections: number
  requests: number
  errors: number
  windows: SoakWindow[]
  rss: Record<ProcessName, { startMb: number; endMb: number; growthPercent: number }>
}

/** Every scenario servicea runs, as the README's curls run them. */
export const SOAK_PATHS = [
  '/scenario1',
  '/scenario2',
  '/scenario3',
  '/scenario4',
  '/scenario1?verify=jwks',
] as const

const mb = (bytes: number | undefined) => Math.round(((bytes ?? 0) / 1048576) * 10) / 10

/**
 * Drives every scenario against a real cluster (factory and three services as processes, HTTPS
 * between them) for a while, window after window, and reports what a long run shows: errors,
 * p99 latency over time, and the memory of each process at the start and at the end.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const connections = options.connections ?? 64
  const windowMs = (options.windowSeconds ?? 10) * 1000
  const perPath = Math.max(1, Math.floor(connections / SOAK_PATHS.length))
  // Logs at warn: at 64 connections an info line per request would be the soak's biggest cost.
  const cluster = await Cluster.start({ logLevel: 'warn' })
  try {
    const agent = cluster.https.agent
    const origin = cluster.urls.servicea
    const window = (durationMs: number, warmupMs = 0) =>
      Promise.all(
        SOAK_PATHS.map((path) =>
          runLoad(
            agent,
            { origin, method: 'GET', path },
            {
              connections: perPath,
              durationMs,
              warmupMs,
              ...(options.signal ? { signal: options.signal } : {}),
            },
          ),
        ),
      )
    await window(1, (options.warmupSeconds ?? 5) * 1000)
    const pids = Object.fromEntries(
      PROCESS_NAMES.map((name) => [name, cluster.pidOf(name)!]),
    ) as Record<ProcessName, number>
    const readAll = () =>
      Object.fromEntries(PROCESS_NAMES.map((name) => [name, readRss(pids[name])])) as Record<
        ProcessName,
        number | undefined
      >

    const windows: SoakWindow[] = []
    const count = Math.max(1, Math.round((options.durationSeconds * 1000) / windowMs))
    // V8 grows its heap for the first minute or so of load and then holds it: memory is compared
    // from the end of the first quarter of the run, so growth means a leak, not warm-up.
    const settleWindows = Math.ceil(count / 4)
    let rssStart = readAll()
    for (let index = 0; index < count && !options.signal?.aborted; index++) {
      const results = await window(windowMs)
      windows.push(summarize(index, results))
      options.onWindow?.(windows.at(-1)!)
      if (index + 1 === settleWindows && count > 1) rssStart = readAll()
    }
    const rss = Object.fromEntries(
      PROCESS_NAMES.map((name) => {
        const start = rssStart[name] ?? 0
        const end = readRss(pids[name]) ?? 0
        return [
          name,
          {
            startMb: mb(start),
            endMb: mb(end),
            growthPercent: start ? Math.round(((end - start) / start) * 1000) / 10 : 0,
          },
        ]
      }),
    ) as SoakReport['rss']
    return {
      durationSeconds: (windows.length * windowMs) / 1000,
      connections: perPath * SOAK_PATHS.length,
      requests: windows.reduce((n, w) => n + w.requests, 0),
      errors: windows.reduce((n, w) => n + w.errors, 0),
      windows,
      rss,
    }
  } finally {
    await cluster.stop()
  }
}

function summarize(index: number, results: LoadResult[]): SoakWindow {
  const failures: Record<string, number> = {}
  results.forEach((r, i) => {
    const failed =
      Object.values(r.non2xx).reduce((a, b) => a + b, 0) +
      Object.values(r.errors).reduce((a, b) => a + b, 0)
    if (failed > 0) failures[SOAK_PATHS[i]!] = failed
  })
  return {
    index,
    requests: results.reduce((n, r) => n + r.requests, 0),
    p99Ms: Math.round(Math.max(...results.map((r) => r.p99Ms)) * 10) / 10,
    errors: Object.values(failures).reduce((a, b) => a + b, 0),
    failures,
  }
}
