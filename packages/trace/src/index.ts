export * from './span.ts'
export {
  Trace,
  loggableSpan,
  spanLogFields,
  spanOfLogFields,
  treeOrder,
  SPAN_ID,
  type OpenSpan,
  type SpanEnd,
  type SpanStart,
  type TraceOptions,
} from './trace.ts'
export { viewToken } from './token-view.ts'
export {
  loggedTrace,
  traceFromHeaders,
  traceHeaders,
  type SpanLogger,
  type TraceSettings,
} from './incoming.ts'
export { outcome, tracedVerify, verdictStatus, type TracedVerification } from './traced-verify.ts'
