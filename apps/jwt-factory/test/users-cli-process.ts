import { spawnNode, type NodeProcess } from '../../../scripts/demo/launch.ts'
import { REPO_ROOT } from './factory-process.ts'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * `npm run users -- <args> --file <file>` as a real child process (node --import tsx, as the
 * npm script runs it), with `stdin` piped in. The runner's USERS_FILE/POLICY_FILE never leak in.
 */
export function startUsersCli(file: string, args: string[], stdin = ''): NodeProcess {
  const env = { ...process.env }
  delete env.USERS_FILE
  delete env.POLICY_FILE
  return spawnNode({
    name: 'users-cli',
    args: ['--import', 'tsx', 'apps/jwt-factory/src/users-cli.ts', ...args, '--file', file],
    cwd: REPO_ROOT,
    env,
    stdin,
  })
}

/** startUsersCli, resolving when it has exited. */
export async function runUsersCli(file: string, args: string[], stdin = ''): Promise<CliResult> {
  const cli = startUsersCli(file, args, stdin)
  const { code } = await cli.exited
  return { code, stdout: cli.stdout(), stderr: cli.stderr() }
}
