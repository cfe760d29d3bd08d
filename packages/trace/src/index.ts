export * from './span.ts'
export {
  Trace,
  loggableSpan,
  spanOfLogFields,
  treeOrder,
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
export {
  outcome,
  tracedVerification,
  tracedVerify,
  type TracedVerification,
} from './traced-verify.ts'
