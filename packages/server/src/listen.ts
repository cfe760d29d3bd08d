import {
  createServer as createHttpsServer,
  type ServerOptions as HttpsServerOptions,
} from 'node:https'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { serve } from '@hono/node-server'
import { answerClientErrors } from './client-error.ts'
import type { Logger } from './logger.ts'

export interface ListenOptions {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>
  hostname: string
  port: number
  /** HTTPS when given: key and cert PEMs (and a CA, to ask for client certificates). */
  tls?: HttpsServerOptions
  /** A name for error messages: "jwt-factory https". */
  name: string
}

export interface RunningServer {
  readonly server: Server
  readonly port: number
  readonly url: string
  /** Stops accepting, lets requests in flight finish (up to graceMs), then closes every socket. */
  close(graceMs?: number): Promise<void>
}

/** Thrown when a port cannot be bound; names the process and the port. */
export class ListenError extends Error {
  override readonly name = 'ListenError'
  constructor(
    readonly serverName: string,
    readonly port: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${serverName}: cannot listen on port ${port}: ${reason}`, options)
  }
}

export function listen(options: ListenOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: options.fetch,
      hostname: options.hostname,
      port: options.port,
      ...(options.tls ? { createServer: createHttpsServer, serverOptions: options.tls } : {}),
    }) as Server
    answerClientErrors(server)
    const onError = (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === 'EADDRINUSE'
          ? 'port already in use'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.message
      reject(new ListenError(options.name, options.port, reason, { cause: err }))
    }
    server.once('error', onError)
    const drain = trackResponses(server)
    server.once('listening', () => {
      server.off('error', onError)
      const { port } = server.address() as AddressInfo
      const scheme = options.tls ? 'https' : 'http'
      const host = options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname
      resolve({
        server,
        port,
        url: `${scheme}://${host}:${port}`,
        close: (graceMs) => closeServer(server, drain, graceMs),
      })
    })
  })
}

/**
 * What a graceful close needs beyond `server.close()`: node keeps a keep-alive connection open
 * after the answer to its request in flight, and keeps reading requests from it, so the close
 * would wait out the keep-alive timeout and a client reusing the socket could still start a
 * request the grace timer then cuts. Once closing, every answer says `Connection: close` and its
 * connection ends when it is written.
 */
function trackResponses(server: Server): () => void {
  const inFlight = new Set<ServerResponse>()
  let closing = false
  const endAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close')
  }
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (closing) endAfter(res)
    inFlight.add(res)
    res.once('close', () => {
      inFlight.delete(res)
      // An answer whose headers went out before the close kept its connection open.
      if (closing) setImmediate(() => server.closeIdleConnections())
    })
  })
  return () => {
    closing = true
    inFlight.forEach(endAfter)
  }
}

async function closeServer(server: Server, drain: () => void, graceMs = 10_000): Promise<void> {
  if (!server.listening) return
  drain()
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  const timer = setTimeout(() => server.closeAllConnections(), graceMs)
  timer.unref()
  await closed
  clearTimeout(timer)
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits 0 (1 if stopping failed, logged on the
 * process's own logger). A second signal while stopping exits at once.
 */
export function onShutdownSignal(logger: Pick<Logger, 'error'>, stop: () => Promise<void>): void {
  let stopping = false
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1)
    stopping = true
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, `shutdown after ${signal} failed`)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', handler)
  process.on('SIGINT', handler)
}
