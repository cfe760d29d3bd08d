import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readEnvFile } from '@jwt-factory/config'
import { runStoreCli } from './cli/run-store-cli.ts'
import { createCliLogger } from './cli/cli-logger.ts'
import { loadConfig } from './config.ts'
import { reportCliFailure } from './start-failure.ts'

/**
 * `npm run store -- import|export`: moves everything the factory keeps between its files and
 * etcd, whichever STORE says the factory runs on.
 */
const appDir = fileURLToPath(new URL('..', import.meta.url))

try {
  const config = loadConfig(readEnvFile(join(appDir, '.env')), appDir)
  const logger = createCliLogger('store', config.logFormat)
  process.exitCode = await runStoreCli(process.argv.slice(2), config, process, logger)
} catch (err) {
  reportCliFailure('store', err)
}
