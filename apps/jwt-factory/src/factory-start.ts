import { ConfigError } from '@jwt-factory/config'
import { createLogger, type Logger } from '@jwt-factory/server'
import { loadTlsFiles, type TlsFiles } from '@jwt-factory/tls'
import type { FactoryConfig } from './config.ts'
import {
  createAdminCredential,
  readAdminToken,
  type AdminCredential,
} from './exposure/admin-credential.ts'

/**
 * What every process of the factory reads at start, beside the store: its logger, the admin
 * credential and the TLS files. `logger` undefined reads quietly: the primary has said it once.
 */
export function factoryLogger(config: FactoryConfig): Logger {
  return createLogger({ name: 'jwt-factory', level: config.logLevel, format: config.logFormat })
}

export async function readAdminCredential(
  config: FactoryConfig,
  logger: Logger | undefined,
): Promise<AdminCredential | undefined> {
  const token = await readAdminToken(config, logger)
  return token === undefined ? undefined : createAdminCredential(token)
}

/**
 * Beyond loopback, issuing needs mutual TLS: without the certificates there is no safe way to
 * serve, so the start fails here instead of serving plain HTTP to the network.
 */
export function readFactoryTls(
  config: FactoryConfig,
  logger: Logger | undefined,
): Promise<TlsFiles | undefined> {
  return loadTlsFiles(config.certsDir).catch((err: Error) => {
    if (config.exposed) {
      throw new ConfigError('apps/jwt-factory/.env', [
        `CERTS_DIR: HOST ${config.host} is beyond loopback, so HTTPS with client certificates is required: ${err.message}`,
      ])
    }
    logger?.warn(`HTTPS is off: ${err.message}`)
    return undefined
  })
}

/** The lines after "listening": what is asked of callers here. */
export function logServing(
  config: FactoryConfig,
  adminCredential: AdminCredential | undefined,
  urls: readonly string[],
  logger: Logger,
  workers = '',
): void {
  logger.info({ urls: urls.join(' ') }, `jwt-factory listening on ${urls.join(' and ')}${workers}`)
  if (config.exposed) {
    logger.warn(
      { host: config.host },
      `jwt-factory listens beyond loopback (${config.host}): key management needs the admin credential, issuing needs the service's client certificate over HTTPS, secrets are refused on plain HTTP from other machines`,
    )
  } else if (adminCredential) {
    logger.info('key management needs the admin credential (ADMIN_TOKEN)')
  }
}
