import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isLoopbackHost, silentLogger, type Logger } from '@jwt-factory/server'
import { createFactoryApp } from './app.ts'
import type { ClientPublicJwk } from './clients/client-record.ts'
import { ClientStore } from './clients/client-store.ts'
import { updateClients } from './clients/clients-document.ts'
import { loadConfig } from './config.ts'
import { KeyStore } from './keys/key-store.ts'
import type { JwksFault } from './keys/jwks-fault.ts'
import { UserKeys } from './keys/user-keys.ts'
import { RevocationStore } from './oauth/revocations.ts'
import { loadPolicyFile, type Policy } from './policy/policy-file.ts'
import { hashPassword } from './users/password-hash.ts'
import { openStoreSources } from './stores/factory-store.ts'
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
  /** Where the factory logs (default: nowhere), for tests that read its lines. */
  logger?: Logger
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
  const clientsFile = join(dir, 'clients.json')
  const revocationsFile = join(dir, 'revocations.json')
  const paths = {
    KEYS_DIR: keysDir,
    USERS_FILE: usersFile,
    CLIENTS_FILE: clientsFile,
    REVOCATIONS_FILE: revocationsFile,
    POLICY_FILE,
  }
  const config = loadConfig({ ...paths, LOG_LEVEL: 'silent', ...env }, process.cwd())
  const logger = options.logger ?? silentLogger()
  // The sources main.ts opens: the files by default, etcd when env sets STORE=etcd.
  const store = await openStoreSources(config, { logger, createKek: true, ...(now ? { now } : {}) })
  const { algorithm } = config
  const keyStore = await KeyStore.open({ source: store.serviceKeys, algorithm, logger })
  const policy = options.policy ?? (await loadPolicyFile(config.policyFile))
  await options.prepareUsers?.(usersFile)
  const userKeys = await UserKeys.open({ source: store.userKeys, algorithm, logger })
  const refuseDemoPasswords = !isLoopbackHost(config.host)
  const userStore = await UserStore.open({ source: store.users, logger, refuseDemoPasswords })
  const clients = await ClientStore.open({ source: store.clients, logger })
  const revocations = await RevocationStore.open({
    source: store.revocations,
    logger,
    now: now ?? (() => new Date()),
    keepSeconds: config.clockToleranceSeconds,
  })
  const deps = {
    keyStore,
    userStore,
    clients,
    userKeys,
    policy,
    revocations,
    logger,
    ...(now ? { now } : {}),
    ...(options.jwksFault ? { jwksFault: options.jwksFault } : {}),
    ...(store.sharedState ? { sharedState: store.sharedState } : {}),
  }
  const app = createFactoryApp(config, deps)
  /** Registers a client (a secret, hashed as the CLI does, or public keys) and reloads the store. */
  const addClient = async (
    name: string,
    credential: { secret: string } | { keys: ClientPublicJwk[] },
  ) => {
    const stored =
      'secret' in credential ? { secret: await hashPassword(credential.secret) } : credential
    const record = { name, ...stored, createdAt: new Date(0).toISOString() }
    await updateClients(store.clients, (list) => [...list.filter((c) => c.name !== name), record])
    await clients.refresh()
  }
  const cleanup = async () => {
    userStore.close()
    clients.close()
    revocations.close()
    keyStore.close()
    userKeys.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
  return {
    app,
    config,
    keyStore,
    userStore,
    userKeys,
    revocations,
    clients,
    addClient,
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
