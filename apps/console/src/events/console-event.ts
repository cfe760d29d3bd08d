import type { Span } from '@jwt-factory/trace'
import type { ProcessEvent } from '../api.ts'

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error'

/** One log line of one process, as the page lists it. */
export interface LogEvent {
  process: string
  level: LogLevelName
  /** Milliseconds since the epoch. */
  time: number
  /** The request it belongs to, when it belongs to one. */
  rid?: string
  msg: string
}

/** What `GET /events` sends, each as the Server-Sent Event of that name. */
export type ConsoleEvent =
  | { type: 'span'; data: Span }
  | { type: 'log'; data: LogEvent }
  | { type: 'process'; data: ProcessEvent }
