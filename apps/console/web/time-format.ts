/** Times as the page writes them: durations a learner reads at a glance, and ISO instants. */

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
] as const

/** `4 min 10 s`, `1 h 2 min`, `3 d 4 h`: the two largest units, whole seconds rounded down. */
export function formatDuration(ms: number): string {
  let rest = Math.floor(Math.abs(ms) / 1000) * 1000
  const parts: string[] = []
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size)
    rest -= count * size
    if (count > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${count} ${unit}`)
    if (parts.length === 2) break
  }
  const trimmed = parts.length === 2 && parts[1]?.startsWith('0 ') ? parts.slice(0, 1) : parts
  return trimmed.length === 0 ? '0 s' : trimmed.join(' ')
}

/** `in 4 min 10 s`, `12 s ago`, or `now` within a second. */
export function relativeTime(at: number, now: number): string {
  const delta = at - now
  if (Math.abs(delta) < 1000) return 'now'
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`
}

/** `2026-12-01T10:19:33Z`: to the second, as the claims carry it. */
export const isoTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** `10:19:33.512`: a log line's time of day (UTC, as the ISO times on the page). */
export const timeOfDay = (ms: number) => new Date(ms).toISOString().slice(11, 23)

/** `12.9 ms`, `0.4 ms`, `1.2 s`. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.round(ms * 10) / 10} ms`
}
