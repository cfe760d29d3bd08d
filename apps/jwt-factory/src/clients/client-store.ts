import { createPublicKey } from 'node:crypto'
import { verificationKeyFromPem, type VerificationKey } from '@jwt-factory/jwt'
import type { Logger } from '@jwt-factory/server'
import type { DocumentSource } from '../stores/document-source.ts'
import { WatchedSource } from '../stores/watched-source.ts'
import type { ClientPublicJwk, ClientRecord, ClientsFile } from './client-record.ts'

export interface ClientStoreOptions {
  /** The clients file, or the clients in etcd (stores/factory-store.ts). */
  source: DocumentSource<ClientsFile>
  logger: Logger
  /** Reload when the clients change, whoever changed them; tests without it call refresh(). */
  watch?: boolean
}

/** A registered client, with its private_key_jwt keys imported once, at load. */
export interface LoadedClient {
  record: ClientRecord
  /** Each key pinned to its registered alg, under its registered kid; empty for a secret client. */
  keys: readonly VerificationKey[]
}

/**
 * The OAuth clients, in memory, kept current as the users are (WatchedSource):
 * a client added, removed or given a new secret with `npm run clients` counts at the next request,
 * without a restart. Keys are imported at load, never per request.
 */
export class ClientStore {
  readonly #options: ClientStoreOptions
  #clients: ReadonlyMap<string, LoadedClient> = new Map()
  #watched: WatchedSource<ClientsFile> | undefined

  private constructor(options: ClientStoreOptions) {
    this.#options = options
  }

  /** Loads the clients (none stored: none). Invalid ones at start throw ClientsFileError. */
  static async open(options: ClientStoreOptions): Promise<ClientStore> {
    const store = new ClientStore(options)
    const { source, logger, watch } = options
    const load = (data: ClientsFile) => store.#load(data)
    store.#watched = await WatchedSource.open({
      source,
      logger,
      load,
      holds: 'clients',
      watch: !!watch,
    })
    return store
  }

  get where(): string {
    return this.#options.source.where
  }

  get size(): number {
    return this.#clients.size
  }

  get(name: string): LoadedClient | undefined {
    return this.#clients.get(name)
  }

  /** Re-reads the clients if they changed since the last load; true when they did. */
  refresh(): Promise<boolean> {
    return this.#watched?.refresh() ?? Promise.resolve(false)
  }

  close(): void {
    this.#watched?.close()
  }

  async #load(data: ClientsFile): Promise<void> {
    const loaded = new Map<string, LoadedClient>()
    for (const record of data.clients) {
      const keys = await Promise.all((record.keys ?? []).map((jwk) => importKey(record.name, jwk)))
      loaded.set(record.name, { record, keys })
    }
    this.#clients = loaded
    const { logger } = this.#options
    logger.info({ where: this.where, clients: loaded.size }, `loaded ${loaded.size} client(s)`)
  }
}

/**
 * The stored JWK as a verification key. The clients CLI imported it the same way before writing
 * it (clients/client-keys.ts), so its alg is the one the factory's own import gives it.
 */
async function importKey(name: string, jwk: ClientPublicJwk): Promise<VerificationKey> {
  const pem = createPublicKey({ key: { ...jwk }, format: 'jwk' })
    .export({ format: 'pem', type: 'spki' })
    .toString()
  const key = await verificationKeyFromPem(pem, jwk.alg)
  if (key.alg !== jwk.alg) throw new Error(`client ${name}: key ${jwk.kid} cannot be ${jwk.alg}`)
  return { ...key, kid: jwk.kid, publicJwk: { ...key.publicJwk, kid: jwk.kid } }
}
