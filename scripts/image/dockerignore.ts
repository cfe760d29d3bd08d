import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The build context as `.dockerignore` leaves it: a path relative to the context is out when the
 * last pattern that matches it, or one of its parent folders, is not a `!` exception (the rule of
 * Docker's patternmatcher). Patterns are Go's filepath.Match (`*`, `?`, `[…]` within one path
 * part) plus `**` for any number of parts.
 */
export type ContextFilter = (relativePath: string) => boolean

export async function readDockerignore(root: string): Promise<ContextFilter> {
  const text = await readFile(join(root, '.dockerignore'), 'utf8').catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw err
  })
  return contextFilter(text)
}

export function contextFilter(dockerignore: string): ContextFilter {
  const rules = dockerignore
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exception = line.startsWith('!')
      const pattern = normalise(exception ? line.slice(1).trim() : line)
      return { exception, regex: pathPatternRegex(pattern) }
    })
  return (relativePath) => {
    const path = normalise(relativePath)
    const candidates = parentsAndSelf(path)
    let included = true
    for (const rule of rules) {
      if (candidates.some((c) => rule.regex.test(c))) included = rule.exception
    }
    return included
  }
}

const normalise = (path: string) =>
  path
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/')

function parentsAndSelf(path: string): string[] {
  const parts = path.split('/')
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'))
}

/** A pattern as a RegExp: Go's filepath.Match (`*`, `?`, `[…]` within one path part), and `**`. */
export function pathPatternRegex(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` is any number of leading folders, `**` alone anything.
      const slash = pattern[i + 2] === '/'
      source += slash ? '(?:.*/)?' : '.*'
      i += slash ? 2 : 1
    } else if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1)
      if (end < 0) throw new Error(`.dockerignore: an unclosed [ in ${pattern}`)
      const body = pattern.slice(i + 1, end).replace(/^\^/, '!')
      source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`
      i = end
    } else if (c === '\\') source += `\\${pattern[++i] ?? ''}`
    else source += c.replace(/[.+^${}()|\]]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}
