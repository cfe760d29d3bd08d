import { spawnNode, type NodeProcess } from '../../../scripts/demo/launch.ts'
import { REPO_ROOT } from './factory-process.ts'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** The factory's command-line programs, as the root package.json's scripts run them. */
export type FactoryCli = 'users' | 'clients'

/**
 * `npm run <cli> -- <args> --file <file>` as a real child process (node --import tsx, as the
 * npm script runs it), with `stdin` piped in. The runner's USERS_FILE/CLIENTS_FILE/POLICY_FILE
 * never leak in.
 */
export function startFactoryCli(
  cli: FactoryCli,
  file: string,
  args: string[],
  stdin = '',
): NodeProcess {
  const env = { ...process.env }
  delete env.USERS_FILE
  delete env.CLIENTS_FILE
  delete env.POLICY_FILE
  return spawnNode({
    name: `${cli}-cli`,
    args: ['--import', 'tsx', `apps/jwt-factory/src/${cli}-cli.ts`, ...args, '--file', file],
    cwd: REPO_ROOT,
    env,
    stdin,
  })
}

export const startUsersCli = (file: string, args: string[], stdin = '') =>
  startFactoryCli('users', file, args, stdin)

/** startFactoryCli, resolving when it has exited. */
export async function runFactoryCli(
  cli: FactoryCli,
  file: string,
  args: string[],
  stdin = '',
): Promise<CliResult> {
  const child = startFactoryCli(cli, file, args, stdin)
  const { code } = await child.exited
  return { code, stdout: child.stdout(), stderr: child.stderr() }
}

export const runUsersCli = (file: string, args: string[], stdin = '') =>
  runFactoryCli('users', file, args, stdin)
