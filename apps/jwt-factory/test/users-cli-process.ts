import { spawnNode, type NodeProcess } from '../../../scripts/demo/launch.ts'
import { REPO_ROOT } from './factory-process.ts'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** The factory's command-line programs, as the root package.json's scripts run them. */
export type FactoryCli = 'users' | 'clients' | 'store'

/** The runner's environment without the factory's files, plus the test's variables. */
function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = { ...process.env }
  delete base.USERS_FILE
  delete base.CLIENTS_FILE
  delete base.POLICY_FILE
  return { ...base, ...env }
}

function spawnCli(cli: FactoryCli, args: string[], env: NodeJS.ProcessEnv, stdin: string) {
  return spawnNode({
    name: `${cli}-cli`,
    args: ['--import', 'tsx', `apps/jwt-factory/src/${cli}-cli.ts`, ...args],
    cwd: REPO_ROOT,
    env,
    stdin,
  })
}

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
  return spawnCli(cli, [...args, '--file', file], cliEnv(), stdin)
}

export const startUsersCli = (file: string, args: string[], stdin = '') =>
  startFactoryCli('users', file, args, stdin)

async function resultOf(child: NodeProcess): Promise<CliResult> {
  const { code } = await child.exited
  return { code, stdout: child.stdout(), stderr: child.stderr() }
}

/** startFactoryCli, resolving when it has exited. */
export function runFactoryCli(
  cli: FactoryCli,
  file: string,
  args: string[],
  stdin = '',
): Promise<CliResult> {
  return resultOf(startFactoryCli(cli, file, args, stdin))
}

/** A CLI on the store the variables configure (STORE=etcd, ETCD_*…), no --file. */
export function runFactoryCliWithEnv(
  cli: FactoryCli,
  env: Record<string, string>,
  args: string[],
  stdin = '',
): Promise<CliResult> {
  return resultOf(spawnCli(cli, args, cliEnv(env), stdin))
}

export const runUsersCli = (file: string, args: string[], stdin = '') =>
  runFactoryCli('users', file, args, stdin)
