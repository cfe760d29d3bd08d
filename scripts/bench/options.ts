import { parseArgs } from 'node:util'
import { isSigningAlgorithm, SIGNING_ALGORITHMS, type SigningAlgorithm } from '@jwt-factory/jwt'

/** What the bench can measure; `--only` takes these, or the groups below. */
export const ROW_IDS = [
  'crypto',
  'issue',
  'verify',
  'jwks',
  'rotate',
  'scenario1',
  'scenario1-fresh',
  'scenario1-jwks',
  'scenario2',
  'scenario3',
  'scenario4',
  'bare-sign',
  'bare-verify',
  'peer-token',
  'console',
] as const
export type RowId = (typeof ROW_IDS)[number]

/** The floor (a bare node:https server) and the peer (oauth2-mock-server): reference-servers.ts. */
export const REFERENCE_ROW_IDS = [
  'bare-sign',
  'bare-verify',
  'peer-token',
] as const satisfies readonly RowId[]

const ROW_GROUPS: Record<string, readonly RowId[]> = {
  factory: ['issue', 'verify', 'jwks', 'rotate'],
  scenarios: [
    'scenario1',
    'scenario1-fresh',
    'scenario1-jwks',
    'scenario2',
    'scenario3',
    'scenario4',
  ],
  reference: REFERENCE_ROW_IDS,
}

/** Where the factory keeps its keys, users and clients during the run (its STORE). */
export const BENCH_STORES = ['files', 'etcd'] as const
export type BenchStore = (typeof BENCH_STORES)[number]

export interface BenchOptions {
  /** Measured seconds per row (a short warm-up comes before each). */
  durationSeconds: number
  connections: number
  algorithm: SigningAlgorithm
  json: boolean
  rows: ReadonlySet<RowId>
  store: BenchStore
  /** Before each figure, wait up to this long for other processes to leave the CPU alone. */
  waitIdleSeconds: number
  /** When set, every server process writes a V8 CPU profile into this folder at exit. */
  cpuProfDir?: string
  /**
   * The factory's WORKERS: the run starts it with the first; the factory's rows are measured
   * again with each of the others, the factory restarted between, so they read side by side.
   */
  workers: readonly number[]
}

export const USAGE = `Usage: npm run bench -- [options]

Starts the factory and the three services on free ports with temporary keys and certificates,
measures them under load over loopback, prints a table, and stops everything it started.

Options:
  --duration <s>       measured seconds per row (default 5; a default run takes about 3 minutes)
  --connections <n>    connections (and signatures in flight in-process), 1-1024 (default 32)
  --alg <alg>          ${SIGNING_ALGORITHMS.join(' | ')} (default ES256): the factory's ALGORITHM,
                       servicea's scenario-3 key, and the in-process row
  --only <rows>        comma-separated, from: ${ROW_IDS.join(' ')}
                       and the groups factory, scenarios, reference (default: all)
  --store <store>      ${BENCH_STORES.join(' | ')} (default files): the factory's STORE; etcd starts
                       one etcd member on free loopback ports for the run (etcd-server on PATH)
  --wait-idle <s>      on a shared machine: before each figure, wait up to <s> seconds until
                       other processes use under 10% CPU (default 0: do not wait)
  --json               print the figures as one JSON document on stdout instead of the table
  --workers <n,…>      the factory's WORKERS, comma-separated, each 1-64 (default 1,2): the run
                       starts it with the first, then measures issue, verify and jwks again
                       with each of the others
  --cpu-prof <dir>     write a V8 CPU profile of every server process into <dir> when it stops;
                       node --import tsx scripts/bench/cpu-profile-summary.ts <file> sums one up
  -h, --help           show this help`

/** A command line that cannot be run: the caller prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Parses `argv` (without node and the script); `undefined` when help was asked for. */
export function parseBenchOptions(argv: string[]): BenchOptions | undefined {
  const values = readArgs(argv)
  if (values.help) return undefined
  const problems: string[] = []
  const durationSeconds = Number(values.duration ?? '5')
  if (!Number.isFinite(durationSeconds) || durationSeconds < 0.5 || durationSeconds > 600) {
    problems.push(`--duration must be a number of seconds from 0.5 to 600, got ${values.duration}`)
  }
  const connections = Number(values.connections ?? '32')
  if (!Number.isInteger(connections) || connections < 1 || connections > 1024) {
    problems.push(`--connections must be a whole number from 1 to 1024, got ${values.connections}`)
  }
  const algorithm = values.alg ?? 'ES256'
  if (!isSigningAlgorithm(algorithm))
    problems.push(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}, got ${algorithm}`)
  const rows = new Set<RowId>()
  for (const name of (values.only ?? ROW_IDS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const ids =
      ROW_GROUPS[name] ??
      ((ROW_IDS as readonly string[]).includes(name) ? [name as RowId] : undefined)
    if (ids) ids.forEach((id) => rows.add(id))
    else problems.push(`--only: unknown row ${JSON.stringify(name)}`)
  }
  if (rows.size === 0 && problems.length === 0) problems.push('--only names no row')
  const store = values.store ?? 'files'
  if (!isBenchStore(store))
    problems.push(`--store must be one of ${BENCH_STORES.join(', ')}, got ${store}`)
  const waitIdleSeconds = Number(values['wait-idle'] ?? '0')
  if (!Number.isFinite(waitIdleSeconds) || waitIdleSeconds < 0 || waitIdleSeconds > 3600) {
    problems.push(
      `--wait-idle must be a number of seconds from 0 to 3600, got ${values['wait-idle']}`,
    )
  }
  if (values['cpu-prof'] === '') problems.push('--cpu-prof needs a folder')
  const workers = (values.workers ?? '1,2').split(',').map((s) => Number(s.trim()))
  if (workers.some((n) => !Number.isInteger(n) || n < 1 || n > 64) || workers.length === 0) {
    problems.push(
      `--workers must be whole numbers from 1 to 64, comma-separated, got ${values.workers}`,
    )
  } else if (new Set(workers).size !== workers.length) {
    problems.push(`--workers names a number twice: ${values.workers}`)
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'))
  return {
    durationSeconds,
    connections,
    algorithm: algorithm as SigningAlgorithm,
    json: values.json ?? false,
    rows,
    store: store as BenchStore,
    waitIdleSeconds,
    workers,
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
  }
}

const isBenchStore = (name: string): name is BenchStore =>
  (BENCH_STORES as readonly string[]).includes(name)

function readArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        connections: { type: 'string' },
        alg: { type: 'string' },
        only: { type: 'string' },
        store: { type: 'string' },
        'wait-idle': { type: 'string' },
        json: { type: 'boolean' },
        'cpu-prof': { type: 'string' },
        workers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
}
