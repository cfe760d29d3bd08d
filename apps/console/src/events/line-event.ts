import { isSpanLogMessage, loggableSpan, spanOfLogFields, type Span } from '@jwt-factory/trace'
import type { ConsoleEvent, LogLevelName } from './console-event.ts'

/**
 * The event one line of a process's output makes: a span line (pino's JSON with
 * `msg: "span"`, or `"span started"` for a call under way, status 0) is that span, sent once as
 * a `span` event and not also as a log line; any other
 * JSON log line is a `log` event; a line that is not JSON (a crash on stderr) is one too.
 */
export function lineEvent(
  process: string,
  line: string,
  stream: 'stdout' | 'stderr',
  now: () => number,
): ConsoleEvent | undefined {
  if (line.trim() === '') return undefined
  const entry = parseObject(line)
  if (entry === undefined) {
    const level = stream === 'stderr' ? 'error' : 'info'
    return { type: 'log', data: { process, level, time: now(), msg: line } }
  }
  const span = isSpanLogMessage(entry.msg) ? spanOfLogFields(entry) : undefined
  // Every open page hears span events: a compact token a process let through stops here.
  if (isSpan(span)) return { type: 'span', data: loggableSpan(span) }
  const time = typeof entry.time === 'string' ? Date.parse(entry.time) : Number(entry.time)
  return {
    type: 'log',
    data: {
      process,
      level: levelName(entry.level),
      time: Number.isFinite(time) ? time : now(),
      ...(typeof entry.rid === 'string' ? { rid: entry.rid } : {}),
      msg: typeof entry.msg === 'string' ? entry.msg : '',
    },
  }
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(line)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** The fields the page draws a span by; a process is ours, so the rest is taken as it says. */
function isSpan(value: unknown): value is Span {
  const span = value as Partial<Span> | null
  return (
    typeof span?.id === 'string' &&
    typeof span.kind === 'string' &&
    typeof span.rid === 'string' &&
    typeof span.status === 'number'
  )
}

/** pino's numeric levels (10 trace … 60 fatal) as the page's four. */
function levelName(level: unknown): LogLevelName {
  const n = typeof level === 'number' ? level : 30
  return n >= 50 ? 'error' : n >= 40 ? 'warn' : n >= 30 ? 'info' : 'debug'
}
