import { ClientsFileError } from '../clients/clients-file.ts'
import { CLIENTS_COMMANDS, type ClientsCliContext } from './clients-commands.ts'
import { readNewPassword, type PasswordInput } from './read-password.ts'
import { runCli, type CliProgram } from './run-cli.ts'

export interface ClientsCliIo extends PasswordInput {
  stdout: NodeJS.WritableStream
}

function clientsProgram(file: string, io: ClientsCliIo): CliProgram<ClientsCliContext> {
  return {
    name: 'clients',
    commands: CLIENTS_COMMANDS,
    options: {
      file: { type: 'string' },
      jwks: { type: 'string' },
      'public-key': { type: 'string' },
    },
    notes: ['--file PATH works on another clients file than CLIENTS_FILE (apps/jwt-factory/.env).'],
    reported: (err) => err instanceof ClientsFileError,
    context: (values, out) => ({
      file: (values.file as string | undefined) ?? file,
      out,
      readSecret: (name) => readNewPassword(name, io, 'secret'),
      now: () => new Date(),
      jwks: values.jwks as string | undefined,
      publicKey: values['public-key'] as string | undefined,
    }),
  }
}

/**
 * Runs one command on the clients file (`file` is CLIENTS_FILE; --file picks another); answers
 * the exit code: 0 done, 1 failed, 2 bad command line.
 */
export function runClientsCli(argv: string[], file: string, io: ClientsCliIo): Promise<number> {
  return runCli(clientsProgram(file, io), argv, io)
}
