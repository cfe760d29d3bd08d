import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError, readEnvFile } from '@jwt-factory/config'
import { runUsersCli } from './cli/run-users-cli.ts'
import { loadConfig } from './config.ts'
import { loadPolicyFile } from './policy/policy-file.ts'

/**
 * `npm run users -- <command>`: manages the factory's users file (USERS_FILE, or --file). A
 * running factory sees each change within moments: it watches the file.
 */
const appDir = fileURLToPath(new URL('..', import.meta.url))

try {
  const config = loadConfig(readEnvFile(join(appDir, '.env')), appDir)
  const policy = await loadPolicyFile(config.policyFile)
  const defaults = { file: config.usersFile, policy }
  process.exitCode = await runUsersCli(process.argv.slice(2), defaults, process)
} catch (err) {
  console.error(err instanceof ConfigError ? `users: ${err.message}` : err)
  process.exitCode = 1
}
