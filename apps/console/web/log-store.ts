import type { LogEvent } from '@jwt-factory/console/api'
import { recentEntry } from './recent.ts'

const KEPT_RIDS = 30
const LINES_PER_RID = 400
/**
 * The message of the line each process writes as a traced span ends (the trace package's
 * SPAN_LOG_MESSAGE, not importable into the page: its package index pulls in node code). Those
 * lines are drawn in the diagram; as log lines they would only read "span".
 */
const SPAN_MESSAGE = 'span'

/** Every process's log lines, by the request they belong to; lines of no request are not kept. */
export class LogStore {
  readonly #byRid = new Map<string, LogEvent[]>()

  /** True when the line was kept. */
  add(line: LogEvent): boolean {
    if (line.rid === undefined || line.msg === SPAN_MESSAGE) return false
    const lines = recentEntry(this.#byRid, line.rid, () => [], KEPT_RIDS)
    lines.push(line)
    if (lines.length > LINES_PER_RID) lines.splice(0, lines.length - LINES_PER_RID)
    return true
  }

  /** A run's lines in time order: processes write them concurrently and the stream interleaves. */
  of(rid: string | undefined): LogEvent[] {
    if (rid === undefined) return []
    return [...(this.#byRid.get(rid) ?? [])].sort((a, b) => a.time - b.time)
  }
}
