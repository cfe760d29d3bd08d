import type { ClientsFile } from '../clients/client-record.ts'
import { ClientsFileError } from '../clients/clients-file.ts'
import type { DocumentSource } from '../stores/document-source.ts'
import { StoreUnavailableError } from '../stores/store-unavailable.ts'
import { CLIENTS_COMMANDS, type ClientsCliContext } from './clients-commands.ts'
import { readNewPassword, type PasswordInput } from './read-password.ts'
import { runCli, type CliProgram } from './run-cli.ts'

export interface ClientsCliIo extends PasswordInput {
  stdout: NodeJS.WritableStream
}

export interface ClientsCliDefaults {
  /** The clients of the configured store (CLIENTS_FILE, or etcd with STORE=etcd). */
  clients: DocumentSource<ClientsFile>
  /** The clients file --file names instead. */
  clientsFile: (file: string) => DocumentSource<ClientsFile>
}

function clientsProgram(
  defaults: ClientsCliDefaults,
  io: ClientsCliIo,
): CliProgram<ClientsCliContext> {
  return {
    name: 'clients',
    commands: CLIENTS_COMMANDS,
    options: {
      file: { type: 'string' },
      jwks: { type: 'string' },
      'public-key': { type: 'string' },
      'secret-file': { type: 'string' },
    },
    notes: [
      '--file PATH works on that clients file instead of the configured store (CLIENTS_FILE, or',
      'etcd with STORE=etcd; apps/jwt-factory/.env).',
    ],
    reported: (err) => err instanceof ClientsFileError || err instanceof StoreUnavailableError,
    context: (values, out) => ({
      clients:
        typeof values.file === 'string' ? defaults.clientsFile(values.file) : defaults.clients,
      out,
      readSecret: (name) => readNewPassword(name, io, 'secret'),
      now: () => new Date(),
      jwks: values.jwks as string | undefined,
      publicKey: values['public-key'] as string | undefined,
      secretFile: values['secret-file'] as string | undefined,
    }),
  }
}

/** Runs one command on the clients; answers the exit code: 0 done, 1 failed, 2 bad command line. */
export function runClientsCli(
  argv: string[],
  defaults: ClientsCliDefaults,
  io: ClientsCliIo,
): Promise<number> {
  return runCli(clientsProgram(defaults, io), argv, io)
}
