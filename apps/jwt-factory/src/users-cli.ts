import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readEnvFile } from '@jwt-factory/config'
import { runUsersCli } from './cli/run-users-cli.ts'
import { createCliLogger } from './cli/cli-logger.ts'
import { loadConfig } from './config.ts'
import { loadPolicyFile } from './policy/policy-file.ts'
import { openStoreSources } from './stores/factory-store.ts'
import { fileDocumentSource } from './stores/file-document-source.ts'
import { USERS_FORMAT } from './users/users-file.ts'
import { reportCliFailure } from './start-failure.ts'

/**
 * `npm run users -- <command>`: manages the factory's users on the configured store (the users
 * file, or etcd with STORE=etcd), or the users file --file names. Running factories see each
 * change within moments: they watch the file, or etcd.
 */
const appDir = fileURLToPath(new URL('..', import.meta.url))

try {
  const config = loadConfig(readEnvFile(join(appDir, '.env')), appDir)
  const logger = createCliLogger('users', config.logFormat)
  const policy = await loadPolicyFile(config.policyFile)
  const store = await openStoreSources(config, { logger })
  try {
    const usersFile = (file: string) => fileDocumentSource(file, USERS_FORMAT, logger)
    const defaults = { users: store.users, usersFile, policy }
    process.exitCode = await runUsersCli(process.argv.slice(2), defaults, process)
  } finally {
    await store.close()
  }
} catch (err) {
  reportCliFailure('users', err)
}
