import type { DocumentSource } from '../stores/document-source.ts'
import type { ClientRecord, ClientsFile } from './client-record.ts'
import { clientsFileOf } from './clients-file.ts'

/** The clients wherever they live (the clients file or etcd), as the CLI uses them. */
export async function readClients(source: DocumentSource<ClientsFile>): Promise<ClientRecord[]> {
  return (await source.read()).data.clients
}

/** Read, change, write, atomic against every other writer. */
export async function updateClients(
  source: DocumentSource<ClientsFile>,
  change: (clients: ClientRecord[]) => ClientRecord[] | Promise<ClientRecord[]>,
): Promise<ClientRecord[]> {
  const written = await source.update(async ({ clients }) =>
    clientsFileOf(await change([...clients])),
  )
  return written.clients
}
