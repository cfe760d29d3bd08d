import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server, type ServerOptions } from 'node:https'
import { createServer as createNetServer, type AddressInfo } from 'node:net'

export interface TestServer {
  url: string
  /** The node server, e.g. to change its certificate with setSecureContext(). */
  server: Server
  /** TCP connections accepted. */
  readonly connections: number
  /** TLS handshakes completed. */
  readonly secureConnections: number
  close(): Promise<void>
}

export type TestHandler = (req: IncomingMessage, res: ServerResponse) => void

/** A real node:https server on a loopback address and a free port, counting its sockets. */
export function startHttpsServer(
  tls: ServerOptions,
  host: string,
  handler: TestHandler,
): Promise<TestServer> {
  const server = createServer(tls, handler)
  const counts = { connections: 0, secureConnections: 0 }
  server.on('connection', () => counts.connections++)
  server.on('secureConnection', () => counts.secureConnections++)
  // A client that gives up mid-handshake is expected in these tests; keep it off the test output.
  server.on('tlsClientError', () => {})
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo
      const hostInUrl = host.includes(':') ? `[${host}]` : host
      resolve({
        url: `https://${hostInUrl}:${port}`,
        server,
        get connections() {
          return counts.connections
        },
        get secureConnections() {
          return counts.secureConnections
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}

/** A port nothing listens on: bound once to learn a free number, then released. */
export function closedPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer()
    probe.once('error', reject)
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  const length = Buffer.byteLength(text)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': length })
  res.end(text)
}
