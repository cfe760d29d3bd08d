import { parseArgs, type ParseArgsConfig } from 'node:util'
import { CliError, usageError } from './cli-error.ts'

export interface CliCommand<Context> {
  usage: string
  /** Positional arguments after the command name. */
  args: number
  run(ctx: Context, args: string[]): Promise<void>
}

export type CliValues = Record<string, string | boolean | undefined>

/** One `npm run <name> -- <command>` program: its commands, its flags, its failures. */
export interface CliProgram<Context> {
  /** The npm script, as usage lines and error lines name it. */
  name: string
  commands: Record<string, CliCommand<Context>>
  /** Flags besides --help. */
  options: NonNullable<ParseArgsConfig['options']>
  /** Usage lines after the commands'. */
  notes: readonly string[]
  /** Errors reported as one line and exit code 1 (a file that cannot be read, say). */
  reported: (err: unknown) => boolean
  context(values: CliValues, out: (text: string) => void): Context
}

export interface CliOutput {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

export function usageOf(program: CliProgram<unknown>): string {
  return [
    `usage: npm run ${program.name} -- <command> [--file PATH]`,
    ...Object.values(program.commands).map((c) => `  ${c.usage}`),
    ...program.notes,
  ].join('\n')
}

/** Runs one command; answers the exit code: 0 done, 1 failed, 2 bad command line. */
export async function runCli<Context>(
  program: CliProgram<Context>,
  argv: string[],
  io: CliOutput,
): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`)
  const usage = usageOf(program as CliProgram<unknown>)
  try {
    const { values, positionals } = parseArguments(program, argv, usage)
    if (values.help) {
      out(usage)
      return 0
    }
    if (positionals.length === 0) throw usageError(usage)
    const [name, ...args] = positionals as [string, ...string[]]
    const command = Object.hasOwn(program.commands, name) ? program.commands[name] : undefined
    if (!command) throw usageError(`unknown command ${name}\n${usage}`)
    if (args.length !== command.args)
      throw usageError(`usage: npm run ${program.name} -- ${command.usage}`)
    await command.run(program.context(values, out), args)
    return 0
  } catch (err) {
    if (err instanceof CliError || program.reported(err)) {
      io.stderr.write(`${program.name}: ${(err as Error).message}\n`)
      return err instanceof CliError ? err.exitCode : 1
    }
    throw err
  }
}

function parseArguments(program: CliProgram<unknown>, argv: string[], usage: string) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...program.options, help: { type: 'boolean', short: 'h' } },
    }) as { values: CliValues; positionals: string[] }
  } catch (err) {
    throw usageError(`${(err as Error).message}\n${usage}`)
  }
}
