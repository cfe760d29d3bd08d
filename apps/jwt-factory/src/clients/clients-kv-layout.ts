import type { KvDocumentLayout } from '../stores/kv/kv-document-source.ts'
import { checkRecord, parseJson } from '../stores/kv/json-record.ts'
import { clientSchema, type ClientRecord, type ClientsFile } from './client-record.ts'
import { CLIENTS_FORMAT, clientsFileOf } from './clients-file.ts'

/**
 * The clients in a KvBackend: `clients/<name>`, the clients file's client object. Nothing is
 * sealed: a secret is kept as its scrypt hash, and keys are public.
 */
export const CLIENTS_KV_LAYOUT: KvDocumentLayout<ClientsFile, ClientRecord> = {
  name: 'clients',
  format: CLIENTS_FORMAT,
  recordsOf: (doc) => doc.clients,
  keyOf: (client) => client.name,
  documentOf: clientsFileOf,
  encode: (client) => JSON.stringify(client),
  decode: (value) => checkRecord(parseJson(value), clientSchema),
}
