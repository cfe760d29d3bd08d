import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { ConfigError, readEnvFile } from '@jwt-factory/config'
import {
  createLogger,
  isLoopbackHost,
  listen,
  ListenError,
  onShutdownSignal,
} from '@jwt-factory/server'
import { loadTlsFiles } from '@jwt-factory/tls'
import { createFactoryApp } from './app.ts'
import { ClientStore } from './clients/client-store.ts'
import { ClientsFileError } from './clients/clients-file.ts'
import { loadConfig } from './config.ts'
import { createAdminCredential, readAdminToken } from './exposure/admin-credential.ts'
import { KeyStore } from './keys/key-store.ts'
import { JwksFault } from './keys/jwks-fault.ts'
import { UserKeys } from './keys/user-keys.ts'
import { RevocationsFileError } from './oauth/revocations-file.ts'
import { RevocationStore } from './oauth/revocations.ts'
import { loadPolicyFile } from './policy/policy-file.ts'
import { openStoreSources } from './stores/factory-store.ts'
import { StoreUnavailableError } from './stores/store-unavailable.ts'
import { UserStore } from './users/user-store.ts'
import { UsersFileError } from './users/users-file.ts'

/** The only file with side effects: read .env, validate, load keys, listen, stop on a signal. */
const appDir = fileURLToPath(new URL('..', import.meta.url))

async function main(): Promise<void> {
  const config = loadConfig(readEnvFile(join(appDir, '.env')), appDir)
  const logger = createLogger({
    name: 'jwt-factory',
    level: config.logLevel,
    format: config.logFormat,
  })
  const adminToken = await readAdminToken(config, logger)
  const adminCredential = adminToken === undefined ? undefined : createAdminCredential(adminToken)
  // Beyond loopback, issuing needs mutual TLS: without the certificates there is no safe way to
  // serve, so the start fails here instead of serving plain HTTP to the network.
  const tls = await loadTlsFiles(config.certsDir).catch((err: Error) => {
    if (config.exposed) {
      throw new ConfigError('apps/jwt-factory/.env', [
        `CERTS_DIR: HOST ${config.host} is beyond loopback, so HTTPS with client certificates is required: ${err.message}`,
      ])
    }
    logger.warn(`HTTPS is off: ${err.message}`)
    return undefined
  })
  const store = await openStoreSources(config, { logger, createKek: !config.exposed })
  const { algorithm } = config
  const keyStore = await KeyStore.open({
    source: store.serviceKeys,
    algorithm,
    logger,
    watch: true,
  })
  const policy = await loadPolicyFile(config.policyFile)
  const userKeys = await UserKeys.open({ source: store.userKeys, algorithm, logger, watch: true })
  // The user key is made as soon as there are users (also ones added while running), not at the
  // first login: services that fetch the JWKS meanwhile already find it, and do not have to wait
  // out their refetch cooldown when the first user token names it.
  const ensureUserKey = (users: UserStore) => {
    if (users.size === 0) return
    userKeys.signingKey().catch((err: unknown) => logger.error({ err }, 'cannot make the user key'))
  }
  const userStore = await UserStore.open({
    source: store.users,
    logger,
    refuseDemoPasswords: !isLoopbackHost(config.host),
    knownRoles: new Set(Object.keys(policy.roles)),
    watch: true,
    onLoad: ensureUserKey,
  })
  if (userStore.size > 0) await userKeys.signingKey()
  const clients = await ClientStore.open({ source: store.clients, logger, watch: true })
  const revocations = await RevocationStore.open({
    source: store.revocations,
    logger,
    now: () => new Date(),
    keepSeconds: config.clockToleranceSeconds,
    watch: true,
  })
  logger.info({ store: store.where }, `keys, users, clients and revocations in ${store.where}`)
  const jwksFault = new JwksFault(config.jwksFaultDelayMs)
  const app = createFactoryApp(config, {
    keyStore,
    userStore,
    clients,
    userKeys,
    policy,
    revocations,
    logger,
    jwksFault,
    ...(store.sharedState ? { sharedState: store.sharedState } : {}),
    ...(adminCredential ? { adminCredential } : {}),
  })
  const servers = [
    await listen({
      name: 'jwt-factory http',
      fetch: app.fetch,
      hostname: config.host,
      port: config.port,
    }),
  ]
  if (tls) {
    // Exposed: every HTTPS connection presents a client certificate the project's CA signed, or
    // the handshake fails (node's default rejectUnauthorized stays on); the CN names the caller.
    const clientAuth = config.exposed ? { ca: tls.caPem, requestCert: true } : {}
    try {
      const https = await listen({
        name: 'jwt-factory https',
        fetch: app.fetch,
        hostname: config.host,
        port: config.httpsPort,
        tls: { key: tls.keyPem, cert: tls.certPem, ...clientAuth },
      })
      https.server.on('tlsClientError', (err: Error, socket: { remoteAddress?: string }) => {
        logger.info(
          { address: socket.remoteAddress, reason: err.message },
          `TLS handshake refused: ${err.message}`,
        )
      })
      servers.push(https)
    } catch (err) {
      await servers[0]?.close(0)
      throw err
    }
  }
  const urls = servers.map((s) => s.url)
  logger.info({ urls: urls.join(' ') }, `jwt-factory listening on ${urls.join(' and ')}`)
  if (config.exposed) {
    logger.warn(
      { host: config.host },
      `jwt-factory listens beyond loopback (${config.host}): key management needs the admin credential, issuing needs the service's client certificate over HTTPS, secrets are refused on plain HTTP from other machines`,
    )
  } else if (adminCredential) {
    logger.info('key management needs the admin credential (ADMIN_TOKEN)')
  }
  onShutdownSignal(logger, async () => {
    logger.info('jwt-factory stopping')
    keyStore.close()
    userKeys.close()
    userStore.close()
    clients.close()
    revocations.close()
    jwksFault.close() // held JWKS answers go out now, not when their delay ends
    await Promise.all(servers.map((s) => s.close()))
    await store.close()
    logger.flush()
  })
}

main().catch((err: unknown) => {
  if (
    err instanceof ConfigError ||
    err instanceof ListenError ||
    err instanceof UsersFileError ||
    err instanceof ClientsFileError ||
    err instanceof RevocationsFileError ||
    err instanceof StoreUnavailableError
  ) {
    console.error(`jwt-factory: ${err.message}`)
  } else {
    console.error('jwt-factory failed to start:', err)
  }
  process.exit(1)
})
