import type { Policy } from '../policy/policy-file.ts'
import type { DocumentSource } from '../stores/document-source.ts'
import { StoreUnavailableError } from '../stores/store-unavailable.ts'
import type { UsersFile } from '../users/user-record.ts'
import { UsersFileError } from '../users/users-file.ts'
import { readNewPassword, type PasswordInput } from './read-password.ts'
import { runCli, type CliProgram } from './run-cli.ts'
import { USERS_COMMANDS, type UsersCliContext } from './users-commands.ts'

export interface UsersCliIo extends PasswordInput {
  stdout: NodeJS.WritableStream
}

export interface UsersCliDefaults {
  /** The users of the configured store (USERS_FILE, or etcd with STORE=etcd). */
  users: DocumentSource<UsersFile>
  /** The users file --file names instead. */
  usersFile: (file: string) => DocumentSource<UsersFile>
  policy: Policy
}

function usersProgram(defaults: UsersCliDefaults, io: UsersCliIo): CliProgram<UsersCliContext> {
  return {
    name: 'users',
    commands: USERS_COMMANDS,
    options: { file: { type: 'string' }, role: { type: 'string' }, force: { type: 'boolean' } },
    notes: [
      '--file PATH works on that users file instead of the configured store (USERS_FILE, or etcd',
      'with STORE=etcd; apps/jwt-factory/.env).',
    ],
    reported: (err) => err instanceof UsersFileError || err instanceof StoreUnavailableError,
    context: (values, out) => ({
      users: typeof values.file === 'string' ? defaults.usersFile(values.file) : defaults.users,
      policy: defaults.policy,
      out,
      readPassword: (user) => readNewPassword(user, io),
      now: () => new Date(),
      role: values.role as string | undefined,
      force: values.force === true,
    }),
  }
}

/** Runs one command; answers the exit code: 0 done, 1 failed, 2 bad command line. */
export function runUsersCli(
  argv: string[],
  defaults: UsersCliDefaults,
  io: UsersCliIo,
): Promise<number> {
  return runCli(usersProgram(defaults, io), argv, io)
}
