import { listen, type Logger, type RunningServer } from '@jwt-factory/server'
import type { TlsFiles } from '@jwt-factory/tls'
import type { FactoryApp } from './app.ts'
import type { FactoryConfig } from './config.ts'

/**
 * The factory's listeners: HTTP on PORT, and HTTPS on HTTPS_PORT when the certificates are
 * there. In a worker (node:cluster) the primary holds the ports and hands each worker its
 * connections.
 */
export async function serveFactory(
  config: FactoryConfig,
  app: FactoryApp,
  tls: TlsFiles | undefined,
  logger: Logger,
): Promise<RunningServer[]> {
  const servers = [
    await listen({
      name: 'jwt-factory http',
      fetch: app.fetch,
      hostname: config.host,
      port: config.port,
    }),
  ]
  if (!tls) return servers
  // Exposed: every HTTPS connection presents a client certificate the project's CA signed, or
  // the handshake fails (node's default rejectUnauthorized stays on); the CN names the caller.
  const clientAuth = config.exposed ? { ca: tls.caPem, requestCert: true } : {}
  try {
    const https = await listen({
      name: 'jwt-factory https',
      fetch: app.fetch,
      hostname: config.host,
      port: config.httpsPort,
      tls: { key: tls.keyPem, cert: tls.certPem, ...clientAuth },
    })
    https.server.on('tlsClientError', (err: Error, socket: { remoteAddress?: string }) => {
      logger.info(
        { address: socket.remoteAddress, reason: err.message },
        `TLS handshake refused: ${err.message}`,
      )
    })
    servers.push(https)
  } catch (err) {
    await servers[0]?.close(0)
    throw err
  }
  return servers
}
