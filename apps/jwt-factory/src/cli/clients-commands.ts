import { readFile } from 'node:fs/promises'
import { KeyImportError } from '@jwt-factory/jwt'
import { BadRequestError } from '@jwt-factory/server'
import { publicJwkFromPem, publicJwksFromJwksText } from '../clients/client-keys.ts'
import type { ClientPublicJwk, ClientRecord, ClientsFile } from '../clients/client-record.ts'
import { readClients, updateClients } from '../clients/clients-document.ts'
import { parseKeyId } from '../keys/key-id.ts'
import type { DocumentSource } from '../stores/document-source.ts'
import { hashPassword, verifyPassword } from '../users/password-hash.ts'
import { CliError, usageError } from './cli-error.ts'
import type { CliCommand } from './run-cli.ts'
import { formatTable } from './text-table.ts'

export interface ClientsCliContext {
  /** CLIENTS_FILE, --file, or the clients in etcd (STORE=etcd). */
  clients: DocumentSource<ClientsFile>
  out: (text: string) => void
  readSecret: (name: string) => Promise<string>
  now: () => Date
  jwks: string | undefined
  publicKey: string | undefined
  secretFile: string | undefined
}

export type ClientsCommand = CliCommand<ClientsCliContext>

/** A client secret is typed by no one: it comes from a generator, so it can be long. */
const MIN_SECRET = 16
const MAX_SECRET = 1024

export const CLIENTS_COMMANDS: Record<string, ClientsCommand> = {
  add: {
    usage:
      'add NAME [--jwks FILE | --public-key FILE]   (else a secret: prompted, or the first line of stdin)',
    args: 1,
    async run(ctx, [name]) {
      checkName(name!)
      if (ctx.jwks !== undefined && ctx.publicKey !== undefined)
        throw usageError('give --jwks or --public-key, not both')
      await refuseExisting(ctx, name!)
      const keys = await readKeys(ctx)
      const credential = keys ? { keys } : { secret: await newSecret(ctx, name!) }
      const client: ClientRecord = {
        name: name!,
        ...credential,
        createdAt: ctx.now().toISOString(),
      }
      await updateClients(ctx.clients, (clients) => {
        if (clients.some((c) => c.name === name)) throw new CliError(`${name} exists already`)
        return [...clients, client]
      })
      ctx.out(`added ${name} (${keys ? `${keys.length} public key(s)` : 'a secret'})`)
    },
  },
  ensure: {
    usage:
      'ensure NAME --secret-file FILE   (added with that secret, or given it; nothing written if it has it)',
    args: 1,
    async run(ctx, [name]) {
      checkName(name!)
      if (ctx.secretFile === undefined) throw usageError('ensure needs --secret-file FILE')
      const secret = checkSecret(await readSecretFile(ctx.secretFile))
      // Run again (a re-applied or retried Job), it finds the secret in place and writes nothing.
      const existing = (await readClients(ctx.clients)).find((c) => c.name === name)
      if (existing?.secret && (await verifyPassword(secret, existing.secret))) {
        ctx.out(`${name} has the secret of ${ctx.secretFile} already; nothing changed`)
        return
      }
      const hash = await hashPassword(secret)
      let added = false
      await updateClients(ctx.clients, (clients) => {
        const i = clients.findIndex((c) => c.name === name)
        if (clients[i]?.keys)
          throw new CliError(
            `${name} authenticates with public keys, not a secret; nothing changed`,
          )
        added = i < 0
        if (added)
          return [...clients, { name: name!, secret: hash, createdAt: ctx.now().toISOString() }]
        clients[i] = { ...clients[i]!, secret: hash }
        return clients
      })
      ctx.out(
        added
          ? `added ${name} (the secret of ${ctx.secretFile})`
          : `changed the secret of ${name} to that of ${ctx.secretFile}; the old one no longer works`,
      )
    },
  },
  'rotate-secret': {
    usage: 'rotate-secret NAME   (the new secret: prompted, or the first line of stdin)',
    args: 1,
    async run(ctx, [name]) {
      const client = await requireClient(ctx, name!)
      if (client.keys) throw new CliError(`${name} authenticates with public keys, not a secret`)
      const secret = await newSecret(ctx, name!)
      await updateClients(ctx.clients, (clients) => {
        const i = clients.findIndex((c) => c.name === name)
        if (i < 0) throw new CliError(`no client ${name} in ${ctx.clients.where}`)
        clients[i] = { ...clients[i]!, secret }
        return clients
      })
      ctx.out(`changed the secret of ${name}; the old one no longer works`)
    },
  },
  remove: {
    usage: 'remove NAME',
    args: 1,
    async run(ctx, [name]) {
      await requireClient(ctx, name!)
      await updateClients(ctx.clients, (clients) => clients.filter((c) => c.name !== name))
      ctx.out(`removed ${name}`)
    },
  },
  list: {
    usage: 'list',
    args: 0,
    async run(ctx) {
      const clients = await readClients(ctx.clients)
      ctx.out(
        clients.length === 0 ? `no clients in ${ctx.clients.where}` : formatClientTable(clients),
      )
    },
  },
}

function checkName(name: string): void {
  try {
    parseKeyId(name)
  } catch (err) {
    if (err instanceof BadRequestError) throw usageError(`"${name}": ${err.message}`)
    throw err
  }
}

async function refuseExisting(ctx: ClientsCliContext, name: string): Promise<void> {
  if ((await readClients(ctx.clients)).some((c) => c.name === name))
    throw new CliError(`${name} exists already (remove it, or rotate-secret)`)
}

async function requireClient(ctx: ClientsCliContext, name: string): Promise<ClientRecord> {
  const client = (await readClients(ctx.clients)).find((c) => c.name === name)
  if (!client) throw new CliError(`no client ${name} in ${ctx.clients.where}`)
  return client
}

/** The keys of --jwks or --public-key, each checked by the factory's key import; else none. */
async function readKeys(ctx: ClientsCliContext): Promise<ClientPublicJwk[] | undefined> {
  const path = ctx.jwks ?? ctx.publicKey
  if (path === undefined) return undefined
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`)
  }
  try {
    return ctx.jwks !== undefined
      ? await publicJwksFromJwksText(text)
      : [await publicJwkFromPem(text)]
  } catch (err) {
    if (err instanceof KeyImportError)
      throw new CliError(`${path}: ${err.message}; nothing changed`)
    throw err
  }
}

async function newSecret(ctx: ClientsCliContext, name: string) {
  return hashPassword(checkSecret(await ctx.readSecret(name)))
}

function checkSecret(secret: string): string {
  if (secret.length < MIN_SECRET || secret.length > MAX_SECRET) {
    throw new CliError(
      `a client secret has ${MIN_SECRET} to ${MAX_SECRET} characters; nothing changed`,
    )
  }
  return secret
}

/** Its first line, trimmed: as the service reads the same file (CLIENT_SECRET_FILE). */
async function readSecretFile(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split(/\r?\n/, 1)[0]!.trim()
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`)
  }
}

/** `list`'s table: names, how each authenticates, when it was added. Never a secret or a hash. */
function formatClientTable(clients: readonly ClientRecord[]): string {
  return formatTable([
    ['NAME', 'AUTH', 'CREATED'],
    ...clients.map((c) => [
      c.name,
      c.keys ? `private_key_jwt (${c.keys.map((k) => k.kid).join(', ')})` : 'client_secret',
      c.createdAt,
    ]),
  ])
}
