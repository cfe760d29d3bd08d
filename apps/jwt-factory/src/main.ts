import cluster from 'node:cluster'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { format } from 'node:util'
import { readEnvFile } from '@jwt-factory/config'
import { onShutdownSignal } from '@jwt-factory/server'
import { loadConfig } from './config.ts'
import { factoryLogger, logServing, readAdminCredential, readFactoryTls } from './factory-start.ts'
import { JwksFault } from './keys/jwks-fault.ts'
import { openFactory } from './open-factory.ts'
import { serveFactory } from './serve-factory.ts'
import { operatorErrorMessage } from './start-failure.ts'
import { openStoreSources } from './stores/factory-store.ts'
import { runPrimary } from './workers/cluster-primary.ts'
import { reportStartFailure, runWorker } from './workers/cluster-worker.ts'

/**
 * The only file with side effects: read .env, validate, load keys, listen, stop on a signal.
 * WORKERS=1 is one process; more is a primary that checks and owns the store, and workers that
 * serve (workers/).
 */
const appDir = fileURLToPath(new URL('..', import.meta.url))

async function main(): Promise<void> {
  const config = loadConfig(readEnvFile(join(appDir, '.env')), appDir)
  if (config.workers > 1 && cluster.isWorker) return runWorker(config)
  const logger = factoryLogger(config)
  const adminCredential = await readAdminCredential(config, logger)
  const tls = await readFactoryTls(config, logger)
  const store = await openStoreSources(config, { logger, createKek: !config.exposed })
  if (config.workers > 1) return runPrimary({ config, logger, store, adminCredential })
  logger.info({ store: store.where }, `keys, users, clients and revocations in ${store.where}`)
  const jwksFault = new JwksFault(config.jwksFaultDelayMs)
  const factory = await openFactory({ config, sources: store, logger, jwksFault, adminCredential })
  const servers = await serveFactory(config, factory.app, tls, logger)
  logServing(
    config,
    adminCredential,
    servers.map((s) => s.url),
    logger,
  )
  onShutdownSignal(logger, async () => {
    logger.info('jwt-factory stopping')
    factory.close()
    await Promise.all(servers.map((s) => s.close()))
    await store.close()
    logger.flush()
  })
}

main().catch((err: unknown) => {
  // What the operator can fix is its message alone, once (a worker's too); anything else keeps its stack.
  const explained = operatorErrorMessage(err)
  const why =
    explained === undefined
      ? format('jwt-factory failed to start:', err)
      : `jwt-factory: ${explained}`
  if (cluster.isWorker && process.connected) return reportStartFailure(why)
  console.error(why)
  process.exit(1)
})
