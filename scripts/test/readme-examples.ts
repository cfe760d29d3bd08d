import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** A shell example from the README and the answer the README shows for it. */
export interface ReadmeExample {
  /** The whole ```sh block; its last command prints the answer. */
  script: string
  kind: 'json' | 'text'
  expected: string
  line: number
  /** The file it is in, relative to the checkout: README.md or docs/NN-….md. */
  file: string
}

const FENCE = /^```(\w*)\n([\s\S]*?)^```$/gm

/** The pages whose commands are run, in the order a reader meets them: the README, then docs/. */
export function documentationPages(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`)
  return ['README.md', ...docs]
}

/** The examples of every page of documentationPages(root), in that order. */
export function documentationExamples(root: string): ReadmeExample[] {
  return documentationPages(root).flatMap((file) => readmeExamples(join(root, file), file))
}

/** Every ```sh block that runs curl and is followed directly by a ```json or ```text block. */
export function readmeExamples(path: string, file = 'README.md'): ReadmeExample[] {
  const text = readFileSync(path, 'utf8')
  const blocks = [...text.matchAll(FENCE)].map((m) => ({
    lang: m[1],
    body: m[2]!.trim(),
    index: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }))
  const examples: ReadmeExample[] = []
  for (let i = 0; i + 1 < blocks.length; i++) {
    const block = blocks[i]!
    const next = blocks[i + 1]!
    const adjacent = text.slice(block.end, next.index).trim() === ''
    if (block.lang !== 'sh' || !/^curl /m.test(block.body) || !adjacent) continue
    if (next.lang !== 'json' && next.lang !== 'text') continue
    examples.push({
      script: block.body,
      kind: next.lang,
      expected: next.body,
      line: text.slice(0, block.index).split('\n').length,
      file,
    })
  }
  return examples
}

/** Values that differ on every run: times, ids, keys and tokens. */
const VOLATILE = new Set([
  'iat',
  'exp',
  'jti',
  'expiredAt',
  'now',
  'kid',
  'x',
  'y',
  'n',
  'e',
  'publicKey',
  'access_token',
  'expire_time',
  'ms',
  'date',
  'auth_time',
  'totp_challenge',
  'expires',
  'startedAt',
  'rid',
  'compact',
  'keysFetchedSecondsAgo',
])

/** Times and key ids inside a sentence (a check's `seen`, `expected`): compared by their shape. */
const VOLATILE_TEXT: [RegExp, string][] = [
  [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>'],
  [/\b[\w-]{43}\b/g, '<kid>'],
]

/** The JSON with volatile values replaced, so a documented answer and a live one compare. */
export function normalize(value: unknown, key?: string): unknown {
  if (key !== undefined && VOLATILE.has(key)) return typeof value
  // Hops that run in parallel (serviceb and servicec) finish in either order.
  if (key === 'trace' && Array.isArray(value))
    return value
      .map((v) => normalize(v))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
  if (typeof value === 'string' && (key === 'seen' || key === 'expected'))
    return VOLATILE_TEXT.reduce((text, [pattern, shape]) => text.replace(pattern, shape), value)
  if (Array.isArray(value)) return value.map((v) => normalize(v))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]))
  }
  return value
}

export const JWT = /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/
