import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'

/**
 * iproute2's `ip`, the one tool the test hosts are made with: on PATH, or in the sbin folders a
 * non-root PATH often leaves out. Run without a shell, each argument as it is.
 */
export const IP_COMMAND: string | undefined = findIp()

/** A safety bound on one `ip` call, which answers in milliseconds; never a wait for a state. */
const IP_TIMEOUT_MS = 10_000

const execFileAsync = promisify(execFile)

function findIp(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin']
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, 'ip')
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {
      // not here
    }
  }
  return undefined
}

const NO_IP = 'no ip command (iproute2) on PATH, in /usr/sbin or /sbin'

/** `ip <args>`; its stdout, or an Error carrying the command and what ip said on stderr. */
export async function ip(args: readonly string[]): Promise<string> {
  if (IP_COMMAND === undefined) throw new Error(NO_IP)
  try {
    const { stdout } = await execFileAsync(IP_COMMAND, args, { timeout: IP_TIMEOUT_MS })
    return stdout
  } catch (err) {
    const said = (err as { stderr?: string }).stderr?.trim() || (err as Error).message
    throw new Error(`ip ${args.join(' ')}: ${said}`, { cause: err })
  }
}

/**
 * `command args`, run inside the network namespace `netns` when one is given. `ip netns exec`
 * execs the command in place (no fork), so the child's pid is the command's own and stopping it
 * by pid stops the command.
 */
export function inNetns(
  netns: string | undefined,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  if (netns === undefined) return { command, args: [...args] }
  if (IP_COMMAND === undefined) throw new Error(`${NO_IP}: cannot run ${command} in ${netns}`)
  return { command: IP_COMMAND, args: ['netns', 'exec', netns, command, ...args] }
}
