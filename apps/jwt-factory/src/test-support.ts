import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isLoopbackHost, silentLogger } from '@jwt-factory/server'
import { createFactoryApp } from './app.ts'
import { loadConfig } from './config.ts'
import { FileKeyStore } from './keys/file-key-store.ts'
import type { JwksFault } from './keys/jwks-fault.ts'
import { UserKeys } from './keys/user-keys.ts'
import { RevocationStore } from './oauth/revocations.ts'
import { loadPolicyFile, type Policy } from './policy/policy-file.ts'
import { UserStore } from './users/user-store.ts'

/** The committed policy file, the one the factory reads by default. */
export const POLICY_FILE = fileURLToPath(new URL('../policy.json', import.meta.url))

export interface TestFactoryOptions {
  /** Another policy than the committed one. */
  policy?: Policy
  /** Write the users file before the store opens (e.g. with ensureDemoUsers or updateUsersFile). */
  prepareUsers?: (usersFile: string) => Promise<unknown>
  /** A JWKS fault the test holds, to see and release the answers it holds. */
  jwksFault?: JwksFault
}

/**
 * A factory app on a fresh temporary folder (keys, users file), for tests through `app.request()`.
 * The user store is opened without a watch; tests call `userStore.refresh()` after changing it.
 */
export async function createTestFactory(
  env: Record<string, string> = {},
  now?: () => Date,
  options: TestFactoryOptions = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'jwt-factory-keys-'))
  const keysDir = join(dir, 'keys')
  const usersFile = join(dir, 'users.json')
  const revocationsFile = join(dir, 'revocations.json')
  const paths = {
    KEYS_DIR: keysDir,
    USERS_FILE: usersFile,
    REVOCATIONS_FILE: revocationsFile,
    POLICY_FILE,
  }
  const config = loadConfig({ ...paths, LOG_LEVEL: 'silent', ...env }, process.cwd())
  const logger = silentLogger()
  const keyStore = await FileKeyStore.open({
    dir: config.keysDir,
    algorithm: config.algorithm,
    logger,
  })
  const policy = options.policy ?? (await loadPolicyFile(config.policyFile))
  await options.prepareUsers?.(usersFile)
  const userKeys = await UserKeys.open({
    dir: config.userKeysDir,
    algorithm: config.algorithm,
    logger,
  })
  const refuseDemoPasswords = !isLoopbackHost(config.host)
  const userStore = await UserStore.open({ file: config.usersFile, logger, refuseDemoPasswords })
  const revocations = await RevocationStore.open({
    file: config.revocationsFile,
    logger,
    now: now ?? (() => new Date()),
    keepSeconds: config.clockToleranceSeconds,
  })
  const deps = {
    keyStore,
    userStore,
    userKeys,
    policy,
    revocations,
    logger,
    ...(now ? { now } : {}),
    ...(options.jwksFault ? { jwksFault: options.jwksFault } : {}),
  }
  const app = createFactoryApp(config, deps)
  const cleanup = async () => {
    userStore.close()
    revocations.close()
    await rm(dir, { recursive: true, force: true })
  }
  return {
    app,
    config,
    keyStore,
    userStore,
    userKeys,
    revocations,
    keysDir,
    usersFile,
    revocationsFile,
    cleanup,
  }
}

export const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})
