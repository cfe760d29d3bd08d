import { isLoopbackHost, type Logger } from '@jwt-factory/server'
import { createFactoryApp, type FactoryApp } from './app.ts'
import { ClientStore } from './clients/client-store.ts'
import type { FactoryConfig } from './config.ts'
import type { FactoryDeps } from './deps.ts'
import type { AdminCredential } from './exposure/admin-credential.ts'
import { KeyStore } from './keys/key-store.ts'
import type { JwksFault } from './keys/jwks-fault.ts'
import { UserKeys } from './keys/user-keys.ts'
import { RevocationStore } from './oauth/revocations.ts'
import { loadPolicyFile } from './policy/policy-file.ts'
import type { StoreSources } from './stores/factory-store.ts'
import { UserStore } from './users/user-store.ts'

export interface OpenFactoryOptions {
  config: FactoryConfig
  sources: StoreSources
  logger: Logger
  jwksFault: JwksFault
  adminCredential: AdminCredential | undefined
  /** Which worker this is (WORKERS > 1): GET /healthz names it. */
  worker?: number
}

export interface OpenFactory {
  app: FactoryApp
  /** Stops every watch and lets held JWKS answers go; the servers and the store are the caller's. */
  close(): void
}

/**
 * The factory built on its store's sources: keys, the policy, users, clients and revocations
 * loaded (a file that cannot be used stops here, with its error), every store watching its
 * source, and the app. The same in one process, in each worker, and in the primary's start-up
 * check.
 */
export async function openFactory(options: OpenFactoryOptions): Promise<OpenFactory> {
  const { config, sources, logger, jwksFault, adminCredential, worker } = options
  const { algorithm } = config
  const keyStore = await KeyStore.open({
    source: sources.serviceKeys,
    algorithm,
    logger,
    watch: true,
  })
  const policy = await loadPolicyFile(config.policyFile)
  const userKeys = await UserKeys.open({ source: sources.userKeys, algorithm, logger, watch: true })
  // The user key is made as soon as there are users (also ones added while running), not at the
  // first login: services that fetch the JWKS meanwhile already find it, and do not have to wait
  // out their refetch cooldown when the first user token names it.
  const ensureUserKey = (users: UserStore) => {
    if (users.size === 0) return
    userKeys.signingKey().catch((err: unknown) => logger.error({ err }, 'cannot make the user key'))
  }
  const userStore = await UserStore.open({
    source: sources.users,
    logger,
    refuseDemoPasswords: !isLoopbackHost(config.host),
    knownRoles: new Set(Object.keys(policy.roles)),
    watch: true,
    onLoad: ensureUserKey,
  })
  if (userStore.size > 0) await userKeys.signingKey()
  const clients = await ClientStore.open({ source: sources.clients, logger, watch: true })
  const revocations = await RevocationStore.open({
    source: sources.revocations,
    logger,
    now: () => new Date(),
    keepSeconds: config.clockToleranceSeconds,
    watch: true,
  })
  const deps: FactoryDeps = {
    keyStore,
    userStore,
    clients,
    userKeys,
    policy,
    revocations,
    logger,
    jwksFault,
    ...(sources.sharedState ? { sharedState: sources.sharedState } : {}),
    ...(adminCredential ? { adminCredential } : {}),
    ...(worker === undefined ? {} : { worker }),
  }
  return {
    app: createFactoryApp(config, deps),
    close() {
      keyStore.close()
      userKeys.close()
      userStore.close()
      clients.close()
      revocations.close()
      jwksFault.close() // held JWKS answers go out now, not when their delay ends
    },
  }
}
