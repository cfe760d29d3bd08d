import { spawn } from 'node:child_process'
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
export function runUsersCli(file: string, args: string[], stdin = ''): Promise<CliResult> {
  const env = { ...process.env }
  delete env.USERS_FILE
  delete env.POLICY_FILE
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'apps/jwt-factory/src/users-cli.ts', ...args, '--file', file],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  child.stdin.end(stdin)
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}
