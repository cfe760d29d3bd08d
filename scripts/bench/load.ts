import type { HttpClient } from '@jwt-factory/http-client'

/** The project's own client's undici Agent: keep-alive, and verifying TLS against the CA. */
export type LoadAgent = HttpClient['agent']

export interface LoadTarget {
  /** `https://localhost:port` or `http://127.0.0.1:port`. */
  origin: string
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
}

export interface LoadOptions {
  /** Requests in flight at once, one per connection. */
  connections: number
  durationMs: number
  /** Load before the measured window, not counted: connections, TLS handshakes, JIT. */
  warmupMs: number
  /** Stops the loops at once (Ctrl-C); what was measured so far is returned. */
  signal?: AbortSignal
}

export interface LoadResult {
  requests: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** Answers outside 200-299, by status. */
  non2xx: Record<string, number>
  /** Requests that got no answer, by error code or message. */
  errors: Record<string, number>
}

/**
 * A closed-loop load generator: `connections` loops, each sending its next request as soon as
 * the previous answer is read. Counts the answers that arrive inside the measured window.
 * autocannon cannot be used for HTTPS here: it always connects without verifying the server
 * (lib/httpClient.js), and the bench must verify the project's CA as the services do.
 */
export async function runLoad(
  agent: LoadAgent,
  target: LoadTarget,
  options: LoadOptions,
): Promise<LoadResult> {
  const start = performance.now() + options.warmupMs
  const end = start + options.durationMs
  const latencies: number[] = []
  const non2xx: Record<string, number> = {}
  const errors: Record<string, number> = {}
  const request = {
    origin: target.origin,
    method: target.method,
    path: target.path,
    headers: target.headers ?? {},
    body: target.body ?? null,
  }

  const loop = async () => {
    for (
      let sent = performance.now();
      sent < end && !options.signal?.aborted;
      sent = performance.now()
    ) {
      let status: number | undefined
      let failure: string | undefined
      try {
        const res = await agent.request(request)
        await res.body.dump()
        status = res.statusCode
      } catch (err) {
        failure = errorName(err)
      }
      const answered = performance.now()
      if (answered >= start && answered < end) {
        if (failure !== undefined) errors[failure] = (errors[failure] ?? 0) + 1
        else {
          latencies.push(answered - sent)
          if (status! < 200 || status! > 299) non2xx[status!] = (non2xx[status!] ?? 0) + 1
        }
      }
      // A refused connection fails at once; do not spin on it.
      if (failure !== undefined) await new Promise((r) => setTimeout(r, 10))
    }
  }
  await Promise.all(Array.from({ length: options.connections }, loop))

  latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / (options.durationMs / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    non2xx,
    errors,
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
}

function errorName(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown }
  return typeof e?.code === 'string'
    ? e.code
    : typeof e?.message === 'string'
      ? e.message.slice(0, 80)
      : String(err)
}
