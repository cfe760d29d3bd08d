import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readEnvFile } from '@jwt-factory/config'
import { CLIENTS_FORMAT } from './clients/clients-file.ts'
import { runClientsCli } from './cli/run-clients-cli.ts'
import { createCliLogger } from './cli/cli-logger.ts'
import { loadConfig } from './config.ts'
import { openStoreSources } from './stores/factory-store.ts'
import { fileDocumentSource } from './stores/file-document-source.ts'
import { reportCliFailure } from './start-failure.ts'

/**
 * `npm run clients -- <command>`: manages the factory's OAuth clients on the configured store
 * (CLIENTS_FILE, or etcd with STORE=etcd), or the clients file --file names.
 */
const appDir = fileURLToPath(new URL('..', import.meta.url))

try {
  const config = loadConfig(readEnvFile(join(appDir, '.env')), appDir)
  const logger = createCliLogger('clients', config.logFormat)
  const store = await openStoreSources(config, { logger })
  try {
    const clientsFile = (file: string) => fileDocumentSource(file, CLIENTS_FORMAT, logger)
    const defaults = { clients: store.clients, clientsFile }
    process.exitCode = await runClientsCli(process.argv.slice(2), defaults, process)
  } finally {
    await store.close()
  }
} catch (err) {
  reportCliFailure('clients', err)
}
