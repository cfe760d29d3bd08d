import { statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { APP_BUNDLES, CLI_BUNDLES, CONSOLE_PAGE } from '../build/bundle-apps.ts'
import {
  dockerfileError,
  execForm,
  flagsAndWords,
  parseDockerfile,
  type Instruction,
  type Stage,
} from './dockerfile.ts'
import { readDockerignore, type ContextFilter } from './dockerignore.ts'

/**
 * What the image contains, read from the repository's Dockerfile: the Dockerfile is the one
 * list, and this is its last stage in terms of the repository, so a test can copy exactly that
 * into a folder and run it (scripts/image/copy-layout.ts). What it cannot map it refuses, naming
 * the line, rather than letting the copy and the image differ.
 */
export interface ImageLayout {
  /** The last stage's WORKDIR: the code folder, where the processes run. */
  workdir: string
  /** USER, numeric: Kubernetes' runAsNonRoot can only verify a numeric user. */
  user: { uid: number; gid: number }
  /** ENV of the last stage. */
  env: Record<string, string>
  /** ENTRYPOINT then CMD, exec form: what a container runs unless its Deployment overrides it. */
  command: string[]
  /** In order, what makes the code folder. */
  steps: LayoutStep[]
}

export type LayoutStep =
  | {
      kind: 'copy'
      line: number
      sources: LayoutSource[]
      /** Relative to the code folder; ends with / when it is a folder. */
      dest: string
    }
  | { kind: 'install'; line: number; command: string[] }

export interface LayoutSource {
  /** Relative to the repository; may hold wildcards (context copies only). */
  path: string
  /**
   * `context`: taken from the repository as .dockerignore filters it. `build`: made by the build
   * stage's `npm run build` (scripts/build/main.ts), which .dockerignore keeps out of the context.
   */
  origin: 'context' | 'build'
}

/**
 * RUN commands of the last stage that put nothing in the code folder: the user and group (in
 * /etc) and npm's cache (in the user's home). Any other RUN is refused: the copy could not
 * replay it.
 */
const OUTSIDE_THE_CODE_FOLDER = [['groupadd'], ['useradd'], ['npm', 'cache', 'clean']]

/** What `npm run build` writes (scripts/build/main.ts): the bundles and the console's page. */
const BUILD_OUTPUTS = [
  ...[...Object.values(APP_BUNDLES), ...Object.values(CLI_BUNDLES)].map((b) => b.outfile),
  CONSOLE_PAGE.outDir,
]

const COPY_FLAGS = new Set(['from', 'chown', 'chmod', 'link'])

/** The layout of `root`'s Dockerfile, or of `dockerfile` (its text) against `root`'s files. */
export async function imageLayout(root: string, dockerfile?: string): Promise<ImageLayout> {
  const stages = parseDockerfile(dockerfile ?? (await readFile(join(root, 'Dockerfile'), 'utf8')))
  const inContext = await readDockerignore(root)
  const last = stages.at(-1)!
  if (stages.some((s) => s.name === last.image))
    throw new Error(`Dockerfile: the last stage builds on stage ${last.image}, not a base image`)
  const layout: ImageLayout = {
    workdir: '/',
    user: { uid: 0, gid: 0 },
    env: {},
    command: [],
    steps: [],
  }
  let entrypoint: string[] = []
  let cmd: string[] = []
  for (const instruction of last.instructions) {
    const { keyword, args } = instruction
    if (keyword === 'WORKDIR') {
      if (layout.steps.length > 0)
        throw dockerfileError(instruction, 'a WORKDIR after files were copied')
      layout.workdir = posix.resolve(layout.workdir, args)
    } else if (keyword === 'ENV') Object.assign(layout.env, envPairs(instruction))
    else if (keyword === 'USER') layout.user = numericUser(instruction)
    else if (keyword === 'CMD') cmd = exec(instruction)
    else if (keyword === 'ENTRYPOINT') entrypoint = exec(instruction)
    else if (keyword === 'COPY' || keyword === 'ADD') {
      if (keyword === 'ADD') throw dockerfileError(instruction, 'ADD: use COPY')
      layout.steps.push(copyStep(instruction, layout.workdir, { root, stages, inContext }))
    } else if (keyword === 'RUN') layout.steps.push(...runSteps(instruction))
    else if (!['EXPOSE', 'LABEL', 'ARG', 'STOPSIGNAL', 'HEALTHCHECK'].includes(keyword))
      throw dockerfileError(instruction, 'an instruction the layout does not replay')
  }
  layout.command = [...entrypoint, ...cmd]
  return layout
}

interface Repository {
  root: string
  stages: Stage[]
  inContext: ContextFilter
}

function copyStep(instruction: Instruction, workdir: string, repo: Repository): LayoutStep {
  const { flags, words } = flagsAndWords(instruction)
  for (const flag of flags.keys())
    if (!COPY_FLAGS.has(flag)) throw dockerfileError(instruction, `COPY --${flag}`)
  if (words.length < 2) throw dockerfileError(instruction, 'a COPY without source and destination')
  const target = words.at(-1)!
  const dest = posix.resolve(workdir, target)
  if (dest !== workdir && !dest.startsWith(`${workdir}/`))
    throw dockerfileError(instruction, `${dest} is outside the code folder ${workdir}`)
  const from = flags.get('from')
  const sources = words.slice(0, -1).map((source): LayoutSource => {
    if (from === undefined) {
      const path = posix.normalize(source).replace(/^\/+/, '')
      if (!/[*?[]/.test(path) && !repo.inContext(path))
        throw dockerfileError(
          instruction,
          `${path} is kept out of the build context by .dockerignore`,
        )
      return { path, origin: 'context' }
    }
    const stage = repo.stages.find((s) => s.name === from)
    if (!stage) throw dockerfileError(instruction, `--from=${from}: no such stage`)
    return fromStage(instruction, stage, posix.resolve('/', source), repo)
  })
  if ((sources.length > 1 || sources.some((s) => /[*?[]/.test(s.path))) && !target.endsWith('/'))
    throw dockerfileError(instruction, 'several sources need a destination ending with /')
  const relativeDest = posix.relative(workdir, dest)
  const folder = target.endsWith('/') || target === '.' || relativeDest === ''
  return {
    kind: 'copy',
    line: instruction.line,
    sources,
    dest: folder ? `${relativeDest}/`.replace(/^\/$/, './') : relativeDest,
  }
}

/**
 * A path in an earlier stage, as the repository holds it: that stage's context copies say where
 * each part of the repository went (the last one wins); a path .dockerignore keeps out must be
 * what that stage's `npm run build` wrote.
 */
function fromStage(
  instruction: Instruction,
  stage: Stage,
  path: string,
  repo: Repository,
): LayoutSource {
  if (/[*?[]/.test(path)) throw dockerfileError(instruction, `a wildcard in --from: ${path}`)
  let workdir = '/'
  let found: string | undefined
  const runs: string[] = []
  for (const earlier of stage.instructions) {
    if (earlier.keyword === 'WORKDIR') workdir = posix.resolve(workdir, earlier.args)
    if (earlier.keyword === 'RUN') runs.push(earlier.args)
    if (earlier.keyword !== 'COPY') continue
    const { flags, words } = flagsAndWords(earlier)
    if (flags.has('from')) continue
    const target = words.at(-1)!
    for (const source of words.slice(0, -1)) {
      const repoPath = posix.normalize(source).replace(/^\/+/, '').replace(/^\.$/, '')
      const isFolder = statSync(join(repo.root, repoPath)).isDirectory()
      const dest = posix.resolve(
        workdir,
        target.endsWith('/') && !isFolder ? posix.join(target, posix.basename(repoPath)) : target,
      )
      if (path === dest) found = repoPath
      else if (isFolder && path.startsWith(`${dest}/`))
        found = posix.join(repoPath, path.slice(dest.length + 1))
    }
  }
  if (found === undefined)
    throw dockerfileError(instruction, `${path} was not copied into stage ${stage.name}`)
  if (repo.inContext(found)) return { path: found, origin: 'context' }
  const built = BUILD_OUTPUTS.some((out) => found === out || found!.startsWith(`${out}/`))
  if (built && runs.some((run) => /(^|&&|;)\s*npm run build(\s|$)/.test(run)))
    return { path: found, origin: 'build' }
  throw dockerfileError(
    instruction,
    `${path} is kept out of the build context by .dockerignore and is not made by npm run build`,
  )
}

function runSteps(instruction: Instruction): LayoutStep[] {
  const commands = (execForm(instruction) ? [execForm(instruction)!.join(' ')] : [instruction.args])
    .flatMap((shell) => shell.split(/&&|;/))
    .map((command) => command.trim().split(/\s+/))
  const steps: LayoutStep[] = []
  for (const words of commands) {
    if (words[0] === 'npm' && words[1] === 'ci') {
      steps.push({ kind: 'install', line: instruction.line, command: words })
    } else if (!OUTSIDE_THE_CODE_FOLDER.some((known) => known.every((w, i) => words[i] === w))) {
      throw dockerfileError(instruction, `RUN ${words.join(' ')}: the layout cannot replay it`)
    }
  }
  return steps
}

function envPairs(instruction: Instruction): Record<string, string> {
  const { args } = instruction
  if (/["'$\\]/.test(args)) throw dockerfileError(instruction, 'quotes or variables in ENV')
  if (!args.includes('=')) {
    const [name, ...value] = args.split(/\s+/)
    return { [name!]: value.join(' ') }
  }
  return Object.fromEntries(
    args.split(/\s+/).map((pair) => {
      const at = pair.indexOf('=')
      if (at < 1) throw dockerfileError(instruction, `ENV ${pair}`)
      return [pair.slice(0, at), pair.slice(at + 1)]
    }),
  )
}

function numericUser(instruction: Instruction): { uid: number; gid: number } {
  // Both numbers: without a group Docker would look the user up in the image's /etc/passwd.
  const match = /^(\d+):(\d+)$/.exec(instruction.args)
  if (!match) throw dockerfileError(instruction, 'USER must be numeric uid:gid (runAsNonRoot)')
  return { uid: Number(match[1]), gid: Number(match[2]) }
}

function exec(instruction: Instruction): string[] {
  const form = execForm(instruction)
  if (!form) throw dockerfileError(instruction, 'the shell form: a shell would be PID 1, not node')
  return form
}
