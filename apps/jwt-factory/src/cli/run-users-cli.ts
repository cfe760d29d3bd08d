import { parseArgs } from 'node:util'
import type { Policy } from '../policy/policy-file.ts'
import { UsersFileError } from '../users/users-file.ts'
import { CliError, usageError } from './cli-error.ts'
import { readNewPassword, type PasswordInput } from './read-password.ts'
import { USERS_COMMANDS } from './users-commands.ts'

export interface UsersCliIo extends PasswordInput {
  stdout: NodeJS.WritableStream
}

export interface UsersCliDefaults {
  /** USERS_FILE from the factory's configuration; --file picks another. */
  file: string
  policy: Policy
}

export const USAGE = [
  'usage: npm run users -- <command> [--file PATH]',
  ...Object.values(USERS_COMMANDS).map((c) => `  ${c.usage}`),
  '--file PATH works on another users file than USERS_FILE (apps/jwt-factory/.env).',
].join('\n')

/** Runs one command; answers the exit code: 0 done, 1 failed, 2 bad command line. */
export async function runUsersCli(
  argv: string[],
  defaults: UsersCliDefaults,
  io: UsersCliIo,
): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`)
  try {
    const { values, positionals } = parseArguments(argv)
    if (values.help) {
      out(USAGE)
      return 0
    }
    if (positionals.length === 0) throw usageError(USAGE)
    const [name, ...args] = positionals as [string, ...string[]]
    const command = USERS_COMMANDS[name]
    if (!command) throw usageError(`unknown command ${name}\n${USAGE}`)
    if (args.length !== command.args) throw usageError(`usage: npm run users -- ${command.usage}`)
    await command.run(
      {
        file: values.file ?? defaults.file,
        policy: defaults.policy,
        out,
        readPassword: (user) => readNewPassword(user, io),
        now: () => new Date(),
        role: values.role,
        force: values.force ?? false,
      },
      args,
    )
    return 0
  } catch (err) {
    if (err instanceof CliError || err instanceof UsersFileError) {
      io.stderr.write(`users: ${err.message}\n`)
      return err instanceof CliError ? err.exitCode : 1
    }
    throw err
  }
}

function parseArguments(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        role: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (err) {
    throw usageError(`${(err as Error).message}\n${USAGE}`)
  }
}
