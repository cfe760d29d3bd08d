import { type Agent, fetch as undiciFetch } from 'undici'
import type { CertificateAndKey } from '@jwt-factory/tls'
import {
  type JsonResponse,
  requestJson,
  type RequestJsonOptions,
  requireHttps,
} from './request-json.ts'
import { createTlsPeerAgent } from './tls-peer-agent.ts'

export interface HttpClientOptions {
  /** The project's CA: the only root trusted; the system store is not consulted. */
  caPem: string
  /** Presented to servers that ask for one (mutual TLS). */
  clientCert?: CertificateAndKey
  /** Limit for TCP + TLS handshake; default timeoutMs. */
  connectTimeoutMs?: number
  /** Default limit for a whole exchange; default 5000. */
  timeoutMs?: number
  /** Most sockets kept per origin; default 64. */
  connections?: number
  /**
   * Origins (`http://host:port`) this client may reach in plain HTTP: a peer inside a service
   * mesh, where the sidecar beside this process carries the request in the mesh's mutual TLS and
   * the peer's sidecar verifies its token (servicea's SERVICEB_MESH_URL). Every other URL must be
   * https://.
   */
  plainHttpOrigins?: readonly string[]
}

export interface HttpClient {
  /** The one connection pool of the process; keep-alive, verifying against the CA. */
  readonly agent: Agent
  /** undici's fetch over the agent, for jose's `customFetch`; its errors are left as fetch's. */
  fetch(url: string | URL, init?: RequestInit): Promise<Response>
  /**
   * One JSON exchange; a 502/504 naming `hop` when the hop cannot answer. The answer names the
   * certificate of the connection that carried it (`tls`).
   */
  requestJson(hop: string, url: string, options?: RequestJsonOptions): Promise<JsonResponse>
  /** Lets requests in flight finish, then closes every socket. */
  close(): Promise<void>
}

/** Idle sockets stay open this long; node servers keep theirs 5 s and say so in Keep-Alive. */
const KEEP_ALIVE_TIMEOUT_MS = 10_000

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { caPem, clientCert, timeoutMs = 5000, connections = 64 } = options
  const connectTimeoutMs = options.connectTimeoutMs ?? timeoutMs
  if (typeof caPem !== 'string' || !caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TypeError('caPem must be a PEM certificate')
  }
  if (clientCert && (!clientCert.certPem || !clientCert.keyPem)) {
    throw new TypeError('clientCert needs both certPem and keyPem')
  }
  requirePositiveInteger('timeoutMs', timeoutMs)
  requirePositiveInteger('connectTimeoutMs', connectTimeoutMs)
  requirePositiveInteger('connections', connections)
  const plainHttp = new Set(options.plainHttpOrigins ?? [])
  for (const origin of plainHttp) {
    if (
      !URL.canParse(origin) ||
      new URL(origin).protocol !== 'http:' ||
      new URL(origin).origin !== origin
    )
      throw new TypeError(
        `plainHttpOrigins: ${origin} is not an http:// origin (scheme, host, port)`,
      )
  }

  // Each answer names the certificate of the connection that carried it (tls-peer-agent.ts).
  const agent = createTlsPeerAgent({
    agent: {
      connections,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    },
    // `ca` replaces node's bundled roots, so only certificates from the project's CA pass;
    // verification itself (rejectUnauthorized, host name check) stays at node's default: on.
    connect: {
      timeout: connectTimeoutMs,
      ca: caPem,
      ...(clientCert ? { cert: clientCert.certPem, key: clientCert.keyPem } : {}),
    },
  })
  const context = { agent, timeoutMs, connectTimeoutMs, plainHttp }

  return {
    agent,
    fetch: (url, init) => {
      requireHttps(url, plainHttp)
      // The global fetch types and undici's own differ only nominally (same shapes at runtime).
      const response = undiciFetch(url, { ...(init as object), dispatcher: agent })
      return response as unknown as Promise<Response>
    },
    requestJson: (hop, url, requestOptions) => requestJson(context, hop, url, requestOptions),
    close: () => agent.close(),
  }
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`${name} must be a positive integer, got ${value}`)
  }
}
