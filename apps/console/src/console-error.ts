import { HttpError } from '@jwt-factory/server'

/** The console's own codes, beside the ones every app shares. */
export type ConsoleErrorCode = 'ERR_FOREIGN_ORIGIN' | 'ERR_NOT_JSON' | 'ERR_UNKNOWN_PROCESS'

/** A caller the console does not serve: not this machine, or another site's page. */
export class RefusedCallerError extends HttpError<ConsoleErrorCode> {
  override name = 'RefusedCallerError'
  constructor(code: ConsoleErrorCode, message: string) {
    super(403, code, message)
  }
}
