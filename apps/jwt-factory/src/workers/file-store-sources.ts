import type { Logger } from '@jwt-factory/server'
import { CLIENTS_FORMAT } from '../clients/clients-file.ts'
import type { FactoryConfig } from '../config.ts'
import { REVOCATIONS_FORMAT } from '../oauth/revocations-file.ts'
import type { StoreSources } from '../stores/factory-store.ts'
import { createKvSharedState } from '../stores/kv/kv-shared-state.ts'
import type { KvBackend } from '../stores/kv/kv-backend.ts'
import { USERS_FORMAT } from '../users/users-file.ts'
import type { IpcClient } from './ipc-client.ts'
import { hostDocumentSource, ipcDocumentSource } from './ipc-document-source.ts'
import type { IpcHost } from './ipc-host.ts'
import { IpcKeyRingSource, hostKeyRingSource } from './ipc-key-ring-source.ts'
import { hostKvBackend, ipcKvBackend } from './ipc-kv-backend.ts'
import { memoryKvBackend } from './memory-kv-backend.ts'
import { Turns } from './turns.ts'
import { VersionedKeyRingSource } from './versioned-key-ring-source.ts'

/**
 * STORE=files with several workers: one process owns the writes. The primary keeps the file
 * sources and serves them to the workers (hostFileStore); each worker's sources ask it
 * (workerFileStore). The stores built on them (KeyStore, UserStore…) and the routes are the same
 * as in one process: only where the sources live differs.
 */
const sharedState = (backend: KvBackend, config: FactoryConfig, logger: Logger) =>
  createKvSharedState(backend, {
    windowSeconds: config.loginFailureWindowSeconds,
    logger,
    now: () => new Date(),
  })

/**
 * The primary's side: the key folders made shared (versions, compare-and-set, a watch), the
 * documents served under their files' locks, and the shared state in its memory. Returns the
 * sources as the primary itself uses them (for its start-up checks), and close().
 */
export function hostFileStore(
  host: IpcHost,
  files: StoreSources,
  config: FactoryConfig,
  logger: Logger,
): { sources: StoreSources; forget(worker: string): void; close(): void } {
  const serviceKeys = new VersionedKeyRingSource(files.serviceKeys)
  const userKeys = new VersionedKeyRingSource(files.userKeys)
  const backend = memoryKvBackend()
  const turns = new Turns()
  hostKeyRingSource(host, 'serviceKeys', serviceKeys, turns)
  hostKeyRingSource(host, 'userKeys', userKeys, turns)
  const watches = [
    hostDocumentSource(host, 'users', files.users),
    hostDocumentSource(host, 'clients', files.clients),
    hostDocumentSource(host, 'revocations', files.revocations),
    hostKvBackend(host, backend),
  ]
  return {
    sources: {
      ...files,
      serviceKeys,
      userKeys,
      sharedState: sharedState(backend, config, logger),
    },
    /** A worker gone: the turns it held pass on. */
    forget: (worker) => turns.forget(worker),
    close: () => watches.forEach((w) => w.close()),
  }
}

/** A worker's side: every source asks the primary, over `client`. */
export function workerFileStore(
  client: IpcClient,
  worker: string,
  config: FactoryConfig,
  logger: Logger,
): StoreSources {
  const backend = ipcKvBackend(client, "the factory's primary process")
  return {
    where: 'files',
    serviceKeys: new IpcKeyRingSource(client, 'serviceKeys', config.keysDir, worker),
    userKeys: new IpcKeyRingSource(client, 'userKeys', config.userKeysDir, worker),
    users: ipcDocumentSource(client, 'users', config.usersFile, USERS_FORMAT),
    clients: ipcDocumentSource(client, 'clients', config.clientsFile, CLIENTS_FORMAT),
    revocations: ipcDocumentSource(
      client,
      'revocations',
      config.revocationsFile,
      REVOCATIONS_FORMAT,
    ),
    sharedState: sharedState(backend, config, logger),
    backend: undefined,
    close: async () => {},
  }
}
