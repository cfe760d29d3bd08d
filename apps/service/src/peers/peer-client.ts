import type { HttpClient } from '@jwt-factory/tls'
import { TRACE_HEADER } from '../trace.ts'

export type PeerName = 'serviceb' | 'servicec'

export interface PeerAnswer {
  status: number
  body: unknown
}

export interface PeerClient {
  /**
   * Calls a peer's scenario endpoint with a bearer token (and `headers`, e.g. a user's token
   * beside it); any status comes back as it is.
   */
  call(
    peer: PeerName,
    path: string,
    token: string,
    options: { requestId: string; trace: boolean; headers?: Record<string, string> },
  ): Promise<PeerAnswer>
}

/** serviceb and servicec as hops: HTTPS with the process's one client; failures name the peer. */
export function createPeerClient(
  http: HttpClient,
  peers: Readonly<Record<PeerName, string>>,
): PeerClient {
  return {
    async call(peer, path, token, { requestId, trace, headers: extra }) {
      const headers: Record<string, string> = {
        ...extra,
        authorization: `Bearer ${token}`,
        'x-request-id': requestId,
      }
      if (trace) headers[TRACE_HEADER] = '1'
      const { status, body } = await http.requestJson(peer, `${peers[peer]}${path}`, { headers })
      return { status, body }
    },
  }
}
