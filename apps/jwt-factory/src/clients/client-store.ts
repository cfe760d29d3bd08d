import { createPublicKey } from 'node:crypto'
import { verificationKeyFromPem, type VerificationKey } from '@jwt-factory/jwt'
import type { Logger } from '@jwt-factory/server'
import { readJsonFile, type FileVersion } from '../stores/locked-json-file.ts'
import { WatchedFile } from '../stores/watched-file.ts'
import type { ClientPublicJwk, ClientRecord } from './client-record.ts'
import { CLIENTS_FORMAT } from './clients-file.ts'

export interface ClientStoreOptions {
  file: string
  logger: Logger
  /** Reload when the file changes on disk; tests without it call refresh(). */
  watch?: boolean
}

/** A registered client, with its private_key_jwt keys imported once, at load. */
export interface LoadedClient {
  record: ClientRecord
  /** Each key pinned to its registered alg, under its registered kid; empty for a secret client. */
  keys: readonly VerificationKey[]
}

/**
 * The OAuth clients of the clients file, in memory, kept current as the users are (WatchedFile):
 * a client added, removed or given a new secret with `npm run clients` counts at the next request,
 * without a restart. Keys are imported at load, never per request.
 */
export class ClientStore {
  readonly #options: ClientStoreOptions
  #clients: ReadonlyMap<string, LoadedClient> = new Map()
  #watched: WatchedFile | undefined

  private constructor(options: ClientStoreOptions) {
    this.#options = options
  }

  /** Loads the file (missing: no clients). An invalid file at start throws ClientsFileError. */
  static async open(options: ClientStoreOptions): Promise<ClientStore> {
    const store = new ClientStore(options)
    const { file, logger, watch } = options
    const load = () => store.#load()
    store.#watched = await WatchedFile.open({
      file,
      logger,
      load,
      holds: 'clients',
      watch: !!watch,
    })
    return store
  }

  get size(): number {
    return this.#clients.size
  }

  get(name: string): LoadedClient | undefined {
    return this.#clients.get(name)
  }

  /** Re-reads the file if it changed since the last load; true when it did. */
  refresh(): Promise<boolean> {
    return this.#watched?.refresh() ?? Promise.resolve(false)
  }

  close(): void {
    this.#watched?.close()
  }

  async #load(): Promise<FileVersion | undefined> {
    const { file, logger } = this.#options
    const { data, version } = await readJsonFile(file, CLIENTS_FORMAT)
    const loaded = new Map<string, LoadedClient>()
    for (const record of data.clients) {
      const keys = await Promise.all((record.keys ?? []).map((jwk) => importKey(record.name, jwk)))
      loaded.set(record.name, { record, keys })
    }
    this.#clients = loaded
    logger.info({ file, clients: loaded.size }, `loaded ${loaded.size} client(s)`)
    return version
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
