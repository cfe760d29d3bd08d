import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError, readEnvFile } from '@jwt-factory/config'
import { runClientsCli } from './cli/run-clients-cli.ts'
import { loadConfig } from './config.ts'

/**
 * `npm run clients -- <command>`: manages the factory's OAuth clients (CLIENTS_FILE, or --file),
 * the callers the token endpoint (issue 13) will authenticate.
 */
const appDir = fileURLToPath(new URL('..', import.meta.url))

try {
  const config = loadConfig(readEnvFile(join(appDir, '.env')), appDir)
  process.exitCode = await runClientsCli(process.argv.slice(2), config.clientsFile, process)
} catch (err) {
  console.error(err instanceof ConfigError ? `clients: ${err.message}` : err)
  process.exitCode = 1
}
