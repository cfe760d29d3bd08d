import { createHttpClient } from '@jwt-factory/http-client'
import type { Cluster } from '../demo/cluster.ts'
import { runLoad, type LoadResult, type LoadTarget } from './load.ts'
import type { RowId } from './options.ts'
import type { CpuMeter } from './process-stats.ts'

export type HttpRowId = Exclude<RowId, 'crypto'>

export interface HttpRow {
  id: HttpRowId
  label: string
  target: LoadTarget
  /** Scenario rows are measured a second time with one connection, for the latency of one call. */
  alsoSingle: boolean
}

export interface HttpRowResult extends LoadResult {
  id: HttpRowId
  label: string
  url: string
  connections: number
  /** Percent of one core used by each process during the measured window. */
  cpuPercent: Record<string, number>
  /** CPU time each process spent per answered request, in µs: less noisy than req/s on a busy machine. */
  cpuMicrosPerRequest: Record<string, number>
  /** The same row with one connection (scenario rows). */
  single?: LoadResult
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' }

/** The rows, as the services call the factory (HTTPS, JSON) and as the README's curls call servicea. */
export function httpRows(cluster: Cluster, validToken: string): HttpRow[] {
  const factory = cluster.urls.factoryHttps
  const servicea = cluster.urls.servicea
  const scenario = (id: HttpRowId, path: string): HttpRow => ({
    id,
    label: `servicea ${path} (http)`,
    target: { origin: servicea, method: 'GET', path },
    alsoSingle: true,
  })
  return [
    {
      id: 'issue',
      label: 'POST /issueToken/servicea (https)',
      target: {
        origin: factory,
        method: 'POST',
        path: '/issueToken/servicea',
        headers: JSON_HEADERS,
        body: JSON.stringify({ aud: 'serviceb' }),
      },
      alsoSingle: false,
    },
    {
      id: 'verify',
      label: 'POST /verify/servicea (https)',
      target: {
        origin: factory,
        method: 'POST',
        path: '/verify/servicea',
        headers: JSON_HEADERS,
        body: JSON.stringify({ token: validToken, aud: 'serviceb', sub: 'servicea' }),
      },
      alsoSingle: false,
    },
    {
      id: 'jwks',
      label: 'GET /.well-known/jwks.json (https)',
      target: { origin: factory, method: 'GET', path: '/.well-known/jwks.json' },
      alsoSingle: false,
    },
    // servicea reuses its token for serviceb; fresh=1 asks the factory every time (the original's
    // way), verify=jwks has serviceb verify locally with the factory's JWKS instead of POST /verify.
    scenario('scenario1', '/scenario1'),
    scenario('scenario1-fresh', '/scenario1?fresh=1'),
    scenario('scenario1-jwks', '/scenario1?verify=jwks'),
    scenario('scenario2', '/scenario2'),
    scenario('scenario3', '/scenario3'),
    scenario('scenario4', '/scenario4'),
  ]
}

export interface RunRowOptions {
  caPem: string
  connections: number
  durationMs: number
  cpu: CpuMeter
  /** Ctrl-C: ends the row at once and drops its connections, so the servers can stop. */
  signal?: AbortSignal
  /** Called before each measurement (to wait for an idle machine). */
  beforeEach?: () => Promise<unknown>
}

/** One row: a fresh pool of `connections` sockets (so no row inherits another's), then closed. */
export async function runHttpRow(row: HttpRow, options: RunRowOptions): Promise<HttpRowResult> {
  const { connections, durationMs, cpu, signal } = options
  const warmupMs = Math.min(1000, Math.max(500, durationMs / 5))
  const measure = async (n: number, ms: number, onStart?: () => void) => {
    await options.beforeEach?.()
    onStart?.()
    const client = createHttpClient({ caPem: options.caPem, connections: n, timeoutMs: 10_000 })
    const drop = () => void client.agent.destroy().catch(() => undefined)
    signal?.addEventListener('abort', drop, { once: true })
    try {
      return await runLoad(client.agent, row.target, {
        connections: n,
        durationMs: ms,
        warmupMs,
        ...(signal ? { signal } : {}),
      })
    } finally {
      signal?.removeEventListener('abort', drop)
      if (!signal?.aborted) await client.close()
    }
  }
  // CPU is measured over the same window as the requests, by timers (late by a few ms at most).
  let cpuPercent: Record<string, number> | undefined
  const timers: NodeJS.Timeout[] = []
  const result = await measure(connections, durationMs, () => {
    timers.push(setTimeout(() => cpu.start(), warmupMs))
    timers.push(setTimeout(() => (cpuPercent = cpu.stop()), warmupMs + durationMs))
  })
  timers.forEach(clearTimeout)
  cpuPercent ??= cpu.stop()
  // One connection: only its latency is reported, so half the time is enough.
  const single = row.alsoSingle ? await measure(1, durationMs / 2) : undefined
  return {
    id: row.id,
    label: row.label,
    url: `${row.target.origin}${row.target.path}`,
    connections,
    cpuPercent,
    cpuMicrosPerRequest: cpuMicrosPerRequest(cpuPercent, result.requestsPerSecond),
    ...result,
    ...(single ? { single } : {}),
  }
}

/** CPU µs per answered request, by process, from the % of one core it used at that rate. */
export function cpuMicrosPerRequest(
  cpuPercent: Record<string, number>,
  requestsPerSecond: number,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(cpuPercent).map(([name, percent]) => [
      name,
      (percent * 10_000) / requestsPerSecond,
    ]),
  )
}
