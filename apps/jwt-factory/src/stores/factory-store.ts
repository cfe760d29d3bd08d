import { readFile } from 'node:fs/promises'
import { ConfigError } from '@jwt-factory/config'
import type { Logger } from '@jwt-factory/server'
import type { ClientsFile } from '../clients/client-record.ts'
import { CLIENTS_FORMAT } from '../clients/clients-file.ts'
import { CLIENTS_KV_LAYOUT } from '../clients/clients-kv-layout.ts'
import type { FactoryConfig } from '../config.ts'
import { FileKeyRingSource } from '../keys/file-key-ring-source.ts'
import type { KeyRingSource } from '../keys/key-ring-source.ts'
import { KvKeyRingSource } from '../keys/kv-key-ring-source.ts'
import { REVOCATIONS_FORMAT, type RevocationsFile } from '../oauth/revocations-file.ts'
import { revocationsKvLayout } from '../oauth/revocations-kv-layout.ts'
import type { UsersFile } from '../users/user-record.ts'
import { USERS_FORMAT } from '../users/users-file.ts'
import { usersKvLayout } from '../users/users-kv-layout.ts'
import type { DocumentSource } from './document-source.ts'
import { fileDocumentSource } from './file-document-source.ts'
import { openCheckedKek } from './kv/kek-file.ts'
import type { KvBackend } from './kv/kv-backend.ts'
import { kvDocumentSource } from './kv/kv-document-source.ts'
import { createKvSharedState } from './kv/kv-shared-state.ts'
import type { SharedState } from './shared-state.ts'

/**
 * Everything the factory keeps, on the backend STORE names: where each piece lives. The stores
 * that hold them in memory (KeyStore, UserStore, ClientStore, RevocationStore) and the CLIs are
 * built on these and never ask which backend it is.
 */
export interface StoreSources {
  /** For the start line and errors: `files` or `etcd http://127.0.0.1:2379`. */
  where: string
  serviceKeys: KeyRingSource
  userKeys: KeyRingSource
  users: DocumentSource<UsersFile>
  clients: DocumentSource<ClientsFile>
  revocations: DocumentSource<RevocationsFile>
  /** What factories must agree on at once (TOTP steps, client assertions, failed logins); etcd only. */
  sharedState: SharedState | undefined
  /** The backend, for `npm run store`; undefined for files. */
  backend: KvBackend | undefined
  close(): Promise<void>
}

export interface OpenStoreOptions {
  logger: Logger
  now?: () => Date
  /** Make STORE_KEK_FILE when it is missing (the factory on loopback, `npm run store`). */
  createKek?: boolean
}

export async function openStoreSources(
  config: FactoryConfig,
  options: OpenStoreOptions,
): Promise<StoreSources> {
  return config.store === 'etcd' ? openEtcdSources(config, options) : fileSources(config, options)
}

function fileSources(config: FactoryConfig, { logger }: OpenStoreOptions): StoreSources {
  const { algorithm } = config
  return {
    where: 'files',
    serviceKeys: new FileKeyRingSource({ dir: config.keysDir, algorithm, logger }),
    userKeys: new FileKeyRingSource({ dir: config.userKeysDir, algorithm, logger }),
    users: fileDocumentSource(config.usersFile, USERS_FORMAT, logger),
    clients: fileDocumentSource(config.clientsFile, CLIENTS_FORMAT, logger),
    revocations: fileDocumentSource(config.revocationsFile, REVOCATIONS_FORMAT, logger),
    sharedState: undefined,
    backend: undefined,
    close: async () => {},
  }
}

async function openEtcdSources(
  config: FactoryConfig,
  { logger, now = () => new Date(), createKek = false }: OpenStoreOptions,
): Promise<StoreSources> {
  // Loaded only here: a factory on files never loads gRPC.
  const { openEtcdBackend } = await import('./etcd/etcd-backend.ts')
  const backend = await openEtcdBackend({
    endpoints: config.etcd.endpoints,
    prefix: config.etcd.prefix,
    timeoutMs: config.etcd.timeoutMs,
    tls: await etcdTls(config),
    logger,
  })
  const scope = config.etcd.prefix
  const box = await openCheckedKek(backend, config.kekFile, logger, {
    create: createKek,
    scope,
  }).catch(async (err: unknown) => {
    await backend.close()
    throw err
  })
  // No algorithm: each stored key names its own.
  const keys = (namespace: 'keys' | 'user-keys') =>
    new KvKeyRingSource({ backend, namespace, box, logger })
  return {
    where: backend.description,
    serviceKeys: keys('keys'),
    userKeys: keys('user-keys'),
    users: kvDocumentSource(backend, usersKvLayout(box), logger),
    clients: kvDocumentSource(backend, CLIENTS_KV_LAYOUT, logger),
    revocations: kvDocumentSource(
      backend,
      revocationsKvLayout(config.clockToleranceSeconds, now),
      logger,
    ),
    sharedState: createKvSharedState(backend, {
      windowSeconds: config.loginFailureWindowSeconds,
      logger,
      now,
    }),
    backend,
    close: () => backend.close(),
  }
}

/** TLS only for https endpoints, with the project CA unless ETCD_CA_FILE names another. */
async function etcdTls(config: FactoryConfig) {
  const { endpoints, caFile, certFile, keyFile } = config.etcd
  if (!endpoints.some((e) => e.startsWith('https:'))) return undefined
  const read = (variable: string, file: string) =>
    readFile(file).catch((err: Error) => {
      throw new ConfigError('apps/jwt-factory/.env', [`${variable}: ${file}: ${err.message}`])
    })
  return {
    ca: await read('ETCD_CA_FILE', caFile),
    ...(certFile && keyFile
      ? { cert: await read('ETCD_CERT_FILE', certFile), key: await read('ETCD_KEY_FILE', keyFile) }
      : {}),
  }
}
