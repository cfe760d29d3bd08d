import type { TlsPeer } from '@jwt-factory/http-client'
import type { VerificationReport } from '@jwt-factory/jwt'

/**
 * The participants a span can name. `user` is whoever called servicea (a browser, curl, the
 * console); the OAuth and mesh participants of later issues take lanes of their own.
 */
export type Participant = 'user' | 'servicea' | 'jwt-factory' | 'serviceb' | 'servicec' | string

export type SpanKind =
  /** One HTTP request from `from` to `to`: the learner's to servicea, or a hop between services. */
  | 'call'
  /** servicea took a token from its cache instead of asking the factory. */
  | 'reuse'
  /** servicea signed a token with its own key (scenarios 3 and 4). */
  | 'sign'
  /** A verifier checked a token: `verification` lists its checks. */
  | 'verify'

/** A token as a span shows it: decoded as jwt.io does, never its signature. */
export interface TokenView {
  header: Record<string, unknown>
  claims: Record<string, unknown>
  /** Where the caller's token came from. */
  source?: 'cached' | 'issued' | 'signed locally' | 'user'
  /** Made expired on purpose (`?expired=1`). */
  expired?: boolean
  /**
   * The compact token, only in the answer to the request that produced it (`?trace=1`), for the
   * learner to copy; never in a log line.
   */
  compact?: string
}

/** The TLS connection a call went over, as the HTTP client that made it recorded it. */
export type { TlsPeer }

/** One step of a request's path. Spans form a tree by `parent`; a trace lists them in start order. */
export interface Span {
  /** Hierarchical: a child of `1.2` is `1.2.1`, so ids from different processes never collide. */
  id: string
  /** Absent for the root: the request servicea was asked. */
  parent?: string
  kind: SpanKind
  from: Participant
  to: Participant
  /** `GET /scenario1-server`, `POST /issueToken/servicea`, `reuse cached token`, `sign locally`… */
  call: string
  status: number
  ms: number
  /** When it started, in milliseconds since the epoch (one machine: one clock). */
  startedAt: number
  /** The request id every log line of this request carries, in every process. */
  rid: string
  tls?: TlsPeer
  /** The token this hop carried or produced. */
  token?: TokenView
  /** kind 'verify': what was checked, in order. */
  verification?: VerificationReport
  /** A short outcome: `valid`, `TokenExpiredError: jwt expired`, a hop's error. */
  result?: string
  /**
   * kind 'call', false when the callee never answered (connection refused, no answer in time):
   * the status is the caller's own 502 or 504, and nothing came back from the callee.
   */
  answered?: false
}

/** The message of the log line each process writes when a traced span ends; it carries `span`. */
export const SPAN_LOG_MESSAGE = 'span'

/**
 * The message of the line a process writes as a traced call starts (its `span` has status 0): a
 * watcher sees the call under way while its callee holds it, a frozen process's caller waiting.
 */
export const SPAN_STARTED_LOG_MESSAGE = 'span started'

/** Whether a log line's message is one of the two a span is written with. */
export const isSpanLogMessage = (msg: unknown): boolean =>
  msg === SPAN_LOG_MESSAGE || msg === SPAN_STARTED_LOG_MESSAGE

/** Headers a caller sends to have the callee trace its part under the caller's span. */
export const TRACE_HEADER = 'x-trace'
export const TRACE_PARENT_HEADER = 'x-trace-parent'
