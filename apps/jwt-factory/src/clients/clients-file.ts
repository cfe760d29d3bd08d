import { readJsonFile, updateJsonFile, type JsonFileFormat } from '../stores/locked-json-file.ts'
import {
  CLIENTS_FILE_VERSION,
  clientsFileSchema,
  type ClientRecord,
  type ClientsFile,
} from './client-record.ts'

/** The clients file could not be read or is not a valid clients file. Never quotes the content. */
export class ClientsFileError extends Error {
  override name = 'ClientsFileError'
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`${file}: ${problems.join('; ')}`, options)
  }
}

export const CLIENTS_FORMAT: JsonFileFormat<ClientsFile> = {
  schema: clientsFileSchema,
  empty: () => ({ version: CLIENTS_FILE_VERSION, clients: [] }),
  error: (file, problems, options) => new ClientsFileError(file, problems, options),
}

/** The clients as the document holds them: sorted by name. */
export const clientsFileOf = (clients: readonly ClientRecord[]): ClientsFile => ({
  version: CLIENTS_FILE_VERSION,
  clients: [...clients].sort((a, b) => a.name.localeCompare(b.name)),
})

/** The registered clients; a missing file is none. */
export async function readClientsFile(file: string): Promise<ClientRecord[]> {
  return (await readJsonFile(file, CLIENTS_FORMAT)).data.clients
}

/** Read, change, write under the file's lock: atomically, mode 0600 in a 0700 folder. */
export async function updateClientsFile(
  file: string,
  change: (clients: ClientRecord[]) => ClientRecord[] | Promise<ClientRecord[]>,
): Promise<ClientRecord[]> {
  const written = await updateJsonFile(file, CLIENTS_FORMAT, async ({ clients }) =>
    clientsFileOf(await change([...clients])),
  )
  return written.clients
}
