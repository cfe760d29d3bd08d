import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { Context } from 'hono'
import { isLoopbackHost } from './loopback-host.ts'

/** RFC 5280 §4.2.1.12 extended key usage of a TLS server certificate. */
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'

/** What the connection of a request proves, read from its socket, never from a header. */
export interface Connection {
  /** It came over the HTTPS listener. */
  tls: boolean
  /** The peer's address is on this machine: the request crossed no network. */
  loopback: boolean
  /** The peer's IP address (an IPv4 one without its `::ffff:` prefix); '' with no socket. */
  address: string
  /** The client certificate, when the peer presented one the project's CA signed. */
  client: { commonName: string | undefined; serverCertificate: boolean } | undefined
}

/**
 * The request's socket, as @hono/node-server hands it over in `c.env.incoming`. A request without
 * one (app.request() in tests, another runtime) proves nothing: no TLS, not loopback, no client.
 */
export function connectionOf(c: Context): Connection {
  const socket = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket
  if (!socket) return { tls: false, loopback: false, address: '', client: undefined }
  const address = (socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')
  const loopback = address !== '' && isLoopbackHost(address)
  const tlsSocket = socket as TLSSocket
  if (tlsSocket.encrypted !== true) return { tls: false, loopback, address, client: undefined }
  // `authorized` is node's own chain check against the CA the server was given (requestCert).
  if (!tlsSocket.authorized) return { tls: true, loopback, address, client: undefined }
  const cert = tlsSocket.getPeerCertificate()
  if (!cert || Object.keys(cert).length === 0)
    return { tls: true, loopback, address, client: undefined }
  // A subject with two CNs comes as an array: no single name, so no identity.
  const cn = cert.subject?.CN
  const usages = (cert as { ext_key_usage?: string[] }).ext_key_usage ?? []
  return {
    tls: true,
    loopback,
    address,
    client: {
      commonName: typeof cn === 'string' ? cn : undefined,
      serverCertificate: usages.includes(SERVER_AUTH),
    },
  }
}
