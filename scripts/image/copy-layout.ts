import { execFile } from 'node:child_process'
import { cp, mkdir, readdir, stat } from 'node:fs/promises'
import { dirname, join, posix, relative } from 'node:path'
import { promisify } from 'node:util'
import { pathPatternRegex, readDockerignore } from './dockerignore.ts'
import type { ImageLayout, LayoutSource } from './layout.ts'

const run = promisify(execFile)

export interface CopyLayoutOptions {
  /** Added to the Dockerfile's `npm ci`, e.g. --prefer-offline where there is no registry. */
  extraNpmArgs?: readonly string[]
}

export interface CopiedLayout {
  /** Milliseconds spent copying files, and in the `npm ci` steps. */
  copyMs: number
  installMs: number
}

/**
 * Replays the image's last stage into `target`, which stands for its WORKDIR: each COPY from the
 * repository (filtered by .dockerignore, or what `npm run build` wrote: bundle the apps first),
 * each `npm ci` run in `target`. The result is what the image's code folder would hold.
 */
export async function copyImageLayout(
  root: string,
  layout: ImageLayout,
  target: string,
  options: CopyLayoutOptions = {},
): Promise<CopiedLayout> {
  const inContext = await readDockerignore(root)
  const took = { copyMs: 0, installMs: 0 }
  for (const step of layout.steps) {
    const started = performance.now()
    if (step.kind === 'install') {
      await npm(target, [...step.command.slice(1), ...(options.extraNpmArgs ?? [])])
      took.installMs += performance.now() - started
      continue
    }
    for (const source of step.sources) {
      const matches = await expand(root, source, inContext)
      if (matches.length === 0)
        throw new Error(`Dockerfile line ${step.line}: ${source.path} matches nothing`)
      for (const match of matches) {
        const from = join(root, match)
        const folder = (await stat(from)).isDirectory()
        // A folder's contents go into the destination; a file into it when it ends with /.
        const to = join(
          target,
          step.dest.endsWith('/') && !folder
            ? posix.join(step.dest, posix.basename(match))
            : step.dest,
        )
        await mkdir(folder ? to : dirname(to), { recursive: true })
        await cp(from, to, {
          recursive: true,
          filter: (path) => source.origin === 'build' || inContext(relative(root, path)),
        })
      }
    }
    took.copyMs += performance.now() - started
  }
  return { copyMs: Math.round(took.copyMs), installMs: Math.round(took.installMs) }
}

/** The repository paths a COPY source names: wildcards per path part, as Docker's COPY has them. */
async function expand(
  root: string,
  source: LayoutSource,
  inContext: (path: string) => boolean,
): Promise<string[]> {
  let paths = ['']
  for (const part of source.path.split('/')) {
    if (!/[*?[]/.test(part)) {
      paths = paths.map((p) => posix.join(p, part))
      continue
    }
    const regex = pathPatternRegex(part)
    const next: string[] = []
    for (const p of paths) {
      const names = await readdir(join(root, p)).catch(() => [])
      next.push(...names.filter((n) => regex.test(n)).map((n) => posix.join(p, n)))
    }
    paths = next
  }
  const existing = await Promise.all(
    paths.map((p) =>
      stat(join(root, p)).then(
        () => p,
        () => undefined,
      ),
    ),
  )
  return existing.filter(
    (p): p is string => p !== undefined && (source.origin === 'build' || inContext(p)),
  )
}

/**
 * npm as the image's RUN runs it: only the registry settings and the cache of the environment,
 * so an npm script's own variables (npm_config_*, npm_lifecycle_*) cannot change what installs.
 */
async function npm(cwd: string, args: string[]): Promise<void> {
  const keep = ['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') || keep.includes(k)),
  )
  try {
    await run('npm', args, { cwd, env, maxBuffer: 16 * 2 ** 20 })
  } catch (err) {
    const { stderr = '', stdout = '' } = err as { stderr?: string; stdout?: string }
    throw new Error(`npm ${args.join(' ')} in ${cwd} failed:\n${stderr}\n${stdout}`, { cause: err })
  }
}
