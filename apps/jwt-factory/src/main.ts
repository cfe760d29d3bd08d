import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { ConfigError, createLogger, listen, ListenError, readEnvFile, onShutdownSignal } from '@jwt-factory/server'
import { loadTlsFiles } from '@jwt-factory/tls'
import { createFactoryApp } from './app.ts'
import { loadConfig } from './config.ts'
import { FileKeyStore } from './keys/file-key-store.ts'

/** The only file with side effects: read .env, validate, load keys, listen, stop on a signal. */
const appDir = fileURLToPath(new URL('..', import.meta.url))

async function main(): Promise<void> {
  const config = loadConfig(readEnvFile(join(appDir, '.env')), appDir)
  const logger = createLogger({ name: 'jwt-factory', level: config.logLevel, format: config.logFormat })
  const keyStore = await FileKeyStore.open({ dir: config.keysDir, algorithm: config.algorithm, logger })
  const app = createFactoryApp(config, { keyStore, logger })
  const servers = [await listen({ name: 'jwt-factory http', fetch: app.fetch, hostname: config.host, port: config.port })]
  const tls = await loadTlsFiles(config.certsDir).catch((err: Error) => {
    logger.warn(`HTTPS is off: ${err.message}`)
    return undefined
  })
  if (tls) {
    try {
      servers.push(await listen({ name: 'jwt-factory https', fetch: app.fetch, hostname: config.host, port: config.httpsPort, tls: { key: tls.keyPem, cert: tls.certPem } }))
    } catch (err) {
      await servers[0]?.close(0)
      throw err
    }
  }
  const urls = servers.map((s) => s.url)
  logger.info({ urls: urls.join(' ') }, `jwt-factory listening on ${urls.join(' and ')}`)
  onShutdownSignal(async () => {
    logger.info('jwt-factory stopping')
    await Promise.all(servers.map((s) => s.close()))
    logger.flush()
  })
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof ListenError) {
    console.error(`jwt-factory: ${err.message}`)
  } else {
    console.error('jwt-factory failed to start:', err)
  }
  process.exit(1)
})
