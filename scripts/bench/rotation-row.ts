import type { Cluster } from '../demo/cluster.ts'
import { cpuMicrosPerRequest, type HttpRowResult } from './http-rows.ts'
import { percentile } from './load.ts'
import type { CpuMeter } from './process-stats.ts'

/** A keyId of the bench's own: no service's ring changes, and it is removed after the row. */
export const ROTATION_KEY_ID = 'bench-rotation'
export const ROTATION_LABEL = `POST+DELETE /keys/${ROTATION_KEY_ID} (https)`

export interface RotationRowOptions {
  durationMs: number
  cpu: CpuMeter
  signal?: AbortSignal
  beforeEach?: () => Promise<unknown>
}

/**
 * The write row: key rotations one at a time, each followed by retiring the key it replaced, so
 * the ring never holds more than two keys and every write costs the same (a ring that grew by one
 * key per rotation would make each write dearer than the last). Each POST and each DELETE is a
 * write to the store and counts as one request; one at a time, because a factory changes a
 * keyId's ring one change at a time whatever the connections, so more would only queue.
 */
export async function runRotationRow(
  cluster: Cluster,
  options: RotationRowOptions,
): Promise<HttpRowResult> {
  const url = `${cluster.urls.factoryHttps}/keys/${ROTATION_KEY_ID}`
  const call = async (method: 'GET' | 'POST' | 'DELETE', path = url) => {
    const res = await cluster.https.requestJson('jwt-factory', path, { method })
    const kid = (res.body as { kid?: unknown } | null)?.kid
    return { status: res.status, kid: typeof kid === 'string' ? kid : undefined }
  }
  const created = await call('GET')
  if (!created.kid)
    throw new Error(`the factory did not make ${ROTATION_KEY_ID}'s key (${created.status})`)
  let previous = created.kid
  const latencies: number[] = []
  const non2xx: Record<string, number> = {}
  const errors: Record<string, number> = {}
  let counting = false
  const timed = async (method: 'POST' | 'DELETE', path?: string) => {
    const sent = performance.now()
    try {
      const answer = await call(method, path)
      if (!counting) return answer
      latencies.push(performance.now() - sent)
      if (answer.status < 200 || answer.status > 299)
        non2xx[answer.status] = (non2xx[answer.status] ?? 0) + 1
      return answer
    } catch (err) {
      const name = err instanceof Error ? err.message.slice(0, 80) : String(err)
      if (counting) errors[name] = (errors[name] ?? 0) + 1
      return undefined
    }
  }
  const cycleUntil = async (end: number) => {
    while (performance.now() < end && !options.signal?.aborted) {
      const rotated = await timed('POST')
      if (!rotated?.kid) continue
      await timed('DELETE', `${url}/${previous}`)
      previous = rotated.kid
    }
  }

  await options.beforeEach?.()
  // A warm-up as the other rows have (connection, JIT, the store's first writes), not counted.
  await cycleUntil(performance.now() + Math.min(1000, Math.max(500, options.durationMs / 5)))
  counting = true
  options.cpu.start()
  const started = performance.now()
  await cycleUntil(started + options.durationMs)
  const seconds = (performance.now() - started) / 1000
  const cpuPercent = options.cpu.stop()
  if (!options.signal?.aborted) await call('DELETE') // the JWKS as it was before the row

  latencies.sort((a, b) => a - b)
  const requestsPerSecond = latencies.length / seconds
  return {
    id: 'rotate',
    label: ROTATION_LABEL,
    url,
    connections: 1,
    requests: latencies.length,
    requestsPerSecond,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    non2xx,
    errors,
    cpuPercent,
    cpuMicrosPerRequest: cpuMicrosPerRequest(cpuPercent, requestsPerSecond),
  }
}
