import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { ConfigError, createLogger, listen, ListenError, loadEnvFile, onShutdownSignal } from '@jwt-factory/server'
import { createFactoryApp } from './app.ts'
import { loadConfig } from './config.ts'
import { FileKeyStore } from './keys/file-key-store.ts'

/** The only file with side effects: read .env, validate, load keys, listen, stop on a signal. */
const appDir = fileURLToPath(new URL('..', import.meta.url))

async function main(): Promise<void> {
  const config = loadConfig(loadEnvFile(join(appDir, '.env')), appDir)
  const logger = createLogger({ name: 'jwt-factory', level: config.logLevel, format: config.logFormat })
  const keyStore = await FileKeyStore.open({ dir: config.keysDir, algorithm: config.algorithm, logger })
  const app = createFactoryApp(config, { keyStore, logger })
  const http = await listen({ name: 'jwt-factory http', fetch: app.fetch, hostname: config.host, port: config.port })
  logger.info({ url: http.url }, `jwt-factory listening on ${http.url}`)
  onShutdownSignal(async () => {
    logger.info('jwt-factory stopping')
    await http.close()
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
