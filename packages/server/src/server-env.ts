import type { Logger } from 'pino'

/** Fields that handlers add to the one log line of their request (keyId, kid, sub, aud…). */
export type LogFields = Record<string, string | number | boolean | undefined>

/** The hono context variables every app built on this package has. */
export interface ServerEnv {
  Variables: {
    requestId: string
    logger: Logger
    logFields: LogFields
    /** Set by the app's body limit; readBodyText enforces it. */
    bodyLimitBytes: number
    /** The request's line is logged at debug (logQuietly): a page polling it every second. */
    quietLog?: boolean
  }
}
