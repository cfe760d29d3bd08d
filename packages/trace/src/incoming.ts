import {
  SPAN_LOG_MESSAGE,
  SPAN_STARTED_LOG_MESSAGE,
  TRACE_HEADER,
  TRACE_PARENT_HEADER,
} from './span.ts'
import { SPAN_ID, spanLogFields, Trace } from './trace.ts'

/** The logger a trace writes its spans to: pino's, in every process. */
export interface SpanLogger {
  info(fields: object, message: string): void
}

export interface TraceSettings {
  rid: string
  logger: SpanLogger
  /** The caller's span to hang under; ignored unless it is a span id. */
  parent?: string | undefined
}

/**
 * A trace whose every span, as it ends, is one log line (never with a compact token), and every
 * call one more as it starts.
 */
export function loggedTrace(enabled: boolean, { rid, logger, parent }: TraceSettings): Trace {
  return new Trace(enabled, {
    rid,
    parent: parent !== undefined && SPAN_ID.test(parent) ? parent : undefined,
    onEnd: (span) => logger.info({ rid, ...spanLogFields(span) }, SPAN_LOG_MESSAGE),
    onCallStart: (span) => logger.info({ rid, ...spanLogFields(span) }, SPAN_STARTED_LOG_MESSAGE),
  })
}

/** The trace a callee keeps: on when its caller sent x-trace, under the caller's x-trace-parent. */
export function traceFromHeaders(
  header: (name: string) => string | undefined,
  settings: Omit<TraceSettings, 'parent'>,
): Trace {
  return loggedTrace(header(TRACE_HEADER) === '1', {
    ...settings,
    parent: header(TRACE_PARENT_HEADER),
  })
}

/** The headers a caller sends to have the callee trace under `span`. */
export const traceHeaders = (trace: Trace, span: string): Record<string, string> =>
  trace.enabled ? { [TRACE_HEADER]: '1', [TRACE_PARENT_HEADER]: span } : {}
