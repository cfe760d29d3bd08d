import { cpus, totalmem } from 'node:os'
import type { ConsolePaint } from './console-paint.ts'
import type { CryptoLimits } from './crypto-limits.ts'
import type { HttpRowResult } from './http-rows.ts'
import type { BenchOptions, BenchStore, RowId } from './options.ts'
import { referenceRatios, type ReferenceRatios } from './reference-ratios.ts'

export interface MemoryFigures {
  /** The whole process tree's (a factory's workers with it). */
  beforeMb: number
  peakMb: number
  afterMb: number
  /** How many processes it had at most, and the peak of its largest one, when more than one. */
  processes?: number
  largestPeakMb?: number
}

export interface HttpRowReport extends HttpRowResult, ReferenceRatios {
  /** req/s over (1)'s in-flight rate: sign for issue, verify for verify. */
  ratioToInProcess?: number
}

/** Everything the bench measured; `--json` prints exactly this. */
export interface BenchReport {
  date: string
  machine: { cpus: number; cpuModel: string; totalMemoryMb: number; node: string; platform: string }
  options: {
    algorithm: string
    connections: number
    durationSeconds: number
    waitIdleSeconds: number
    rows: RowId[]
    /** The factory's STORE: its files, or one etcd member the bench started. */
    store: BenchStore
  }
  crypto?: CryptoLimits
  http: HttpRowReport[]
  /** By process: the factory, the services, and etcd's member with `--store etcd`. */
  memory?: Record<string, MemoryFigures>
  console?: ConsolePaint
}

export function buildReport(
  options: BenchOptions,
  crypto: CryptoLimits | undefined,
  http: HttpRowResult[],
  memory: BenchReport['memory'],
): BenchReport {
  const limit = (id: string) =>
    id === 'issue'
      ? crypto?.signPerSecond.inFlight
      : id === 'verify'
        ? crypto?.verifyPerSecond.inFlight
        : undefined
  const cpuList = cpus()
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      totalMemoryMb: Math.round(totalmem() / 2 ** 20),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    options: {
      algorithm: options.algorithm,
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      waitIdleSeconds: options.waitIdleSeconds,
      rows: [...options.rows],
      store: options.store,
    },
    ...(crypto ? { crypto } : {}),
    http: http.map((row) => {
      const rate = limit(row.id)
      return {
        ...row,
        ...(rate ? { ratioToInProcess: row.requestsPerSecond / rate } : {}),
        ...referenceRatios(row, http),
      }
    }),
    ...(memory ? { memory } : {}),
  }
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-')
const ms = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1)
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0)
const merge = (a: Record<string, number>, b: Record<string, number> = {}) => {
  const all = { ...a }
  for (const [k, n] of Object.entries(b)) all[k] = (all[k] ?? 0) + n
  return all
}
const LABEL = 50
/** As docs/14-performance.md numbers them; every scenario row is (5). */
const ROW_NUMBERS: Record<string, string> = {
  issue: '(2)',
  verify: '(3)',
  jwks: '(4)',
  rotate: '(8)',
  'bare-sign': '(9)',
  'bare-verify': '(9)',
  'peer-token': '(9)',
}
const CPU_ORDER = [
  'jwt-factory',
  'servicea',
  'serviceb',
  'servicec',
  'etcd',
  'bare',
  'peer',
  'bench',
  'other',
]
const CPU_LABEL: Record<string, string> = {
  'jwt-factory': 'factory',
  servicea: 'a',
  serviceb: 'b',
  servicec: 'c',
}

/** The report as a plain-text table, for a terminal or a README. */
export function formatReport(report: BenchReport): string {
  const { machine, options, crypto, http, memory, console: paint } = report
  const out: string[] = [
    `jwt-factory bench: ${options.algorithm}, ${options.connections} connections, ${options.durationSeconds} s per row, STORE=${options.store}`,
    `${machine.cpus} × ${machine.cpuModel}, ${machine.totalMemoryMb} MB, Node ${machine.node}, ${machine.platform}`,
    '',
  ]
  if (crypto) {
    out.push(
      `(1) In-process, @jwt-factory/jwt ${crypto.algorithm}`.padEnd(44) +
        '1 at a time'.padStart(12) +
        `${crypto.inFlight} in flight`.padStart(14),
      '    sign/s'.padEnd(44) +
        int(crypto.signPerSecond.serial).padStart(12) +
        int(crypto.signPerSecond.inFlight).padStart(14),
      '    verify/s'.padEnd(44) +
        int(crypto.verifyPerSecond.serial).padStart(12) +
        int(crypto.verifyPerSecond.inFlight).padStart(14),
      ...(crypto.failures > 0 ? [`    ${crypto.failures} verifications failed`] : []),
      ...(crypto.otherCpuPercent > 10
        ? [`    note: other processes used up to ${int(crypto.otherCpuPercent)}% CPU meanwhile`]
        : []),
      '',
    )
  }
  if (http.length > 0) {
    // etcd's and the reference servers' columns only when the bench started them.
    const cpuNames = CPU_ORDER.filter((name) => http.some((row) => name in row.cpuPercent))
    const number = (id: string) => ROW_NUMBERS[id] ?? '(5)'
    out.push(
      'Row'.padEnd(LABEL) +
        'req/s'.padStart(8) +
        'p50 ms'.padStart(8) +
        'p99 ms'.padStart(8) +
        'ratio'.padStart(7) +
        'p50@1'.padStart(8) +
        'non-2xx'.padStart(8) +
        'errors'.padStart(7) +
        `  CPU % ${cpuNames.map((name) => CPU_LABEL[name] ?? name).join('/')}`,
    )
    for (const row of http) {
      const cpu = cpuNames.map((name) => int(row.cpuPercent[name] ?? Number.NaN)).join('/')
      out.push(
        `${number(row.id)} ${row.label}`.padEnd(LABEL) +
          int(row.requestsPerSecond).padStart(8) +
          ms(row.p50Ms).padStart(8) +
          ms(row.p99Ms).padStart(8) +
          (row.ratioToInProcess === undefined ? '' : row.ratioToInProcess.toFixed(2)).padStart(7) +
          ms(row.single?.p50Ms).padStart(8) +
          int(sum(row.non2xx) + sum(row.single?.non2xx ?? {})).padStart(8) +
          int(sum(row.errors) + sum(row.single?.errors ?? {})).padStart(7) +
          `  ${cpu}`,
      )
    }
    for (const row of http) {
      for (const [what, counts] of [
        ['non-2xx', merge(row.non2xx, row.single?.non2xx)],
        ['errors', merge(row.errors, row.single?.errors)],
      ] as const) {
        const list = Object.entries(counts).map(([k, n]) => `${k} × ${n}`)
        if (list.length > 0) out.push(`    ${row.id} ${what}: ${list.join(', ')}`)
      }
    }
    out.push(
      `    ratio: req/s over (1)'s in-flight rate; p50@1: p50 ms with one connection; CPU: % of one core`,
    )
    out.push(...formatReferenceRatios(http))
    const busiest = Math.max(...http.map((row) => row.cpuPercent.other ?? 0))
    if (busiest > 10)
      out.push(
        `    note: other processes on this machine used up to ${int(busiest)}% CPU during a row; figures are lower than on an idle machine`,
      )
    out.push('')
  }
  if (memory) {
    out.push(
      '(6) RSS, MB'.padEnd(26) + 'before'.padStart(8) + 'peak'.padStart(8) + 'after'.padStart(8),
    )
    for (const [name, m] of Object.entries(memory)) {
      const several =
        m.processes !== undefined && m.processes > 1 && m.largestPeakMb !== undefined
          ? `   ${m.processes} processes, the largest's peak ${int(m.largestPeakMb)}`
          : ''
      out.push(
        `    ${name}`.padEnd(26) +
          int(m.beforeMb).padStart(8) +
          int(m.peakMb).padStart(8) +
          int(m.afterMb).padStart(8) +
          several,
      )
    }
  }
  if (paint) {
    out.push(
      '',
      `(7) Console, ${paint.opens} opens, a fresh context each`.padEnd(LABEL) +
        'median ms'.padStart(10) +
        'max ms'.padStart(8),
      ...(
        [
          ['first contentful paint', paint.firstContentfulPaint],
          ['Scenario 1 pressed → its diagram drawn', paint.scenario1Diagram],
        ] as const
      ).map(
        ([label, s]) =>
          `    ${label}`.padEnd(LABEL) + ms(s.medianMs).padStart(10) + ms(s.maxMs).padStart(8),
      ),
    )
  }
  return out.join('\n')
}

/** The factory's rows over the reference rows (9) of the same run; nothing without them. */
function formatReferenceRatios(http: readonly HttpRowReport[]): string[] {
  const rows = http.filter((r) => r.ratioToBare !== undefined || r.ratioToPeer !== undefined)
  if (rows.length === 0) return []
  const cell = (n: number | undefined, width = 8) =>
    (n === undefined ? '-' : n.toFixed(2)).padStart(width)
  return [
    '',
    '(9) Against the references'.padEnd(LABEL) +
      '   req/s: bare    peer'.padStart(22) +
      'CPU: bare    peer'.padStart(20),
    ...rows.map(
      (row) =>
        `    ${ROW_NUMBERS[row.id] ?? ''} ${row.label}`.padEnd(LABEL) +
        cell(row.ratioToBare, 14) +
        cell(row.ratioToPeer) +
        cell(row.cpuRatioToBare, 12) +
        cell(row.cpuRatioToPeer),
    ),
    "    req/s: the row's over the bare server's and oauth2-mock-server's (1.00: one event loop's limit);",
    "    CPU: their CPU time per request over the factory's, steadier on a busy machine; above 1 is better",
  ]
}
