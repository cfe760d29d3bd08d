import { runSoak, SOAK_PATHS, type SoakReport } from './soak.ts'

/**
 * `npm run soak -- --minutes N [--connections 64] [--json]`: every scenario at 64 connections for
 * N minutes against a real cluster. Exit 1 when any request failed or a process's memory grew by
 * 20% or more from start to end.
 */
const MAX_RSS_GROWTH_PERCENT = 20

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const value = Number(process.argv[i + 1])
  if (!Number.isFinite(value) || value <= 0) {
    console.error(
      `--${name} needs a positive number\nusage: npm run soak -- --minutes N [--connections 64] [--json]`,
    )
    process.exit(2)
  }
  return value
}

const json = process.argv.includes('--json')
const minutes = option('minutes', 1)
const connections = option('connections', 64)
const controller = new AbortController()
process.once('SIGINT', () => controller.abort())
process.once('SIGTERM', () => controller.abort())

const say = (line: string) => !json && console.log(line)
say(`soak: ${SOAK_PATHS.join(', ')} at ${connections} connections for ${minutes} min`)
const report = await runSoak({
  durationSeconds: minutes * 60,
  connections,
  signal: controller.signal,
  onWindow: (w) =>
    say(
      `  ${String((w.index + 1) * 10).padStart(5)} s  ${String(w.requests).padStart(7)} requests  p99 ${String(w.p99Ms).padStart(6)} ms  errors ${w.errors}${w.errors ? ` ${JSON.stringify(w.failures)}` : ''}`,
    ),
})
const grown = Object.entries(report.rss).filter(
  ([, r]) => r.growthPercent >= MAX_RSS_GROWTH_PERCENT,
)
if (json) console.log(JSON.stringify(report, null, 2))
else print(report)
process.exit(report.errors > 0 || grown.length > 0 ? 1 : 0)

function print(r: SoakReport): void {
  console.log(`\n${r.requests} requests in ${r.durationSeconds} s, ${r.errors} errors (must be 0)`)
  console.log('process      RSS after the first quarter   RSS at the end   growth')
  for (const [name, rss] of Object.entries(r.rss)) {
    console.log(
      `${name.padEnd(12)} ${`${rss.startMb} MB`.padStart(25)} ${`${rss.endMb} MB`.padStart(16)} ${`${rss.growthPercent}%`.padStart(8)}${rss.growthPercent >= MAX_RSS_GROWTH_PERCENT ? '  (20% or more)' : ''}`,
    )
  }
}
