const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
}
// Request lines carry method, path, status and ms in their message already.
const OMITTED = new Set([
  'level',
  'time',
  'msg',
  'name',
  'pid',
  'hostname',
  'v',
  'method',
  'path',
  'status',
  'ms',
])

/**
 * Turns one JSON log line into one readable line:
 * `15:04:05.123 INFO  servicea → jwt-factory: token for aud=serviceb  rid=… ms=3`.
 * Used by the pretty log format and by `npm start`, which prefixes each line with the process name.
 * Not pino-pretty: it forces a ':' after the level and has no key=value fields (the README's form).
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line
  }
  if (entry === null || typeof entry !== 'object') return line
  const time =
    typeof entry.time === 'string'
      ? entry.time.slice(11, 23)
      : new Date().toISOString().slice(11, 23)
  const level =
    typeof entry.level === 'number'
      ? (LEVEL_NAMES[entry.level] ?? String(entry.level))
      : String(entry.level ?? 'INFO').toUpperCase()
  const fields = Object.entries(entry)
    .filter(([key, value]) => !OMITTED.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ')
  return printable(
    `${time} ${level.padEnd(5)} ${String(entry.msg ?? '')}${fields ? `  ${fields}` : ''}`,
  )
}

/** A request path may hold a decoded newline or an ANSI escape: one entry must stay one inert line. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const printable = (text: string): string =>
  text.replace(
    CONTROL,
    (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
