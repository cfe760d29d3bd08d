import type { Context } from 'hono'
import type { LogFields } from '@jwt-factory/server'

/** Adds to the request's log line when the app has one (createBaseApp); a no-op otherwise. */
export function addLogFields(c: Context, fields: LogFields): void {
  const logFields = (c.var as { logFields?: LogFields }).logFields
  if (logFields !== undefined) Object.assign(logFields, fields)
}
