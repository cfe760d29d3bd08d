/**
 * `npm run deploy -- prepare [--force] [--out DIR]`: writes what deploy/kustomization.yaml reads
 * and git never holds (deploy/generated/: the ConfigMaps' env files and every Secret), then names
 * the next command.
 */
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { prepare } from './prepare.ts'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const USAGE =
  'usage: npm run deploy -- prepare [--force] [--out DIR]   (DIR: default deploy/generated)'

function parse() {
  try {
    const { values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: { force: { type: 'boolean', default: false }, out: { type: 'string' } },
      allowPositionals: true,
    })
    if (positionals.length !== 1 || positionals[0] !== 'prepare') return undefined
    return { force: values.force, out: resolve(values.out ?? resolve(root, 'deploy/generated')) }
  } catch {
    return undefined
  }
}

/** Relative to where the command was run when that is shorter. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel.startsWith('..') ? path : rel
}

const options = parse()
if (options === undefined) {
  console.error(USAGE)
  process.exit(2)
}
try {
  const written = await prepare({ root, ...options })
  console.log(`wrote (0600, in 0700 folders):`)
  for (const file of written) console.log(`  ${shortPath(file)}`)
  console.log(
    'next: build and push the image (docs/20-kubernetes.md), then kubectl apply -k deploy/',
  )
} catch (err) {
  console.error(`deploy prepare: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
