import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readEnvFile } from '@jwt-factory/config'
import { loadConfig } from './config.ts'
import { ensureScenario3Keys, writeScenario3Keys } from './scenarios/scenario3-keys.ts'

/**
 * `npm run keys [-- --force]`: writes servicea's scenario-3 key pair (jwt-private.pem 0600,
 * jwt-public.pem) unless it exists; --force replaces it.
 */
const appDir = fileURLToPath(new URL('..', import.meta.url))
const config = loadConfig(
  readEnvFile(join(appDir, '.servicea.env')),
  appDir,
  'apps/service/.servicea.env',
)
const { keysDir, algorithm } = config.scenario3
const force = process.argv.includes('--force')
const { created, key } = force
  ? { created: true, key: await writeScenario3Keys(keysDir, algorithm) }
  : await ensureScenario3Keys(keysDir, algorithm)
console.log(
  `${created ? 'wrote' : 'kept'} scenario-3 keys in ${keysDir} (${key.alg}, kid ${key.kid})`,
)
