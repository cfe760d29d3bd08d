/** What a container runs when its manifest sets no `command`: the image's ENTRYPOINT and CMD. */
export interface ImageCommand {
  entrypoint: string[]
  cmd: string[]
}

/**
 * The last stage's ENTRYPOINT and CMD of a Dockerfile, in their exec (JSON) form. The shell form
 * is refused: it runs the process under `sh -c`, which does not pass SIGTERM on, so a pod would
 * be killed at the end of its grace period instead of closing its listeners.
 */
export function imageCommand(dockerfile: string): ImageCommand {
  const stages = dockerfile.split(/^FROM\s/im)
  const last = stages[stages.length - 1] ?? ''
  return { entrypoint: instruction(last, 'ENTRYPOINT'), cmd: instruction(last, 'CMD') }
}

function instruction(stage: string, name: string): string[] {
  const lines = [...stage.matchAll(new RegExp(`^${name}\\s+(.+)$`, 'gim'))]
  const line = lines[lines.length - 1]?.[1]?.trim()
  if (line === undefined) return []
  const argv: unknown = line.startsWith('[') ? JSON.parse(line) : undefined
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
    throw new Error(`Dockerfile ${name} must be in exec form (a JSON array): ${line}`)
  }
  return argv
}

/**
 * The argv Kubernetes starts: `command` replaces the ENTRYPOINT (and drops the CMD), `args`
 * replaces the CMD; `args` alone runs after the image's ENTRYPOINT, so with no ENTRYPOINT they
 * are the whole command line.
 */
export function containerArgv(
  image: ImageCommand,
  command: string[] | undefined,
  args: string[] | undefined,
): string[] {
  if (command !== undefined) return [...command, ...(args ?? [])]
  return [...image.entrypoint, ...(args ?? image.cmd)]
}
