import { clientUrl, type EtcdMember } from './cluster-layout.ts'

/** One request; a port that accepts and never answers must not hang the wait. */
const HEALTH_REQUEST_TIMEOUT_MS = 1000

/**
 * Whether the member answers GET /health with {"health":"true"}: it serves, and its cluster has
 * a leader (a member without quorum answers "false").
 */
export async function isHealthy(member: EtcdMember): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl(member)}/health`, {
      signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS),
    })
    const body = (await res.json()) as { health?: unknown }
    return res.status === 200 && body.health === 'true'
  } catch {
    return false // not listening yet, or not etcd
  }
}
