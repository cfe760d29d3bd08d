import { HttpError } from '@jwt-factory/server'
import type { FactoryErrorCode } from '../factory-error-code.ts'

/**
 * The store could not be reached in time (etcd: every member down or no quorum). A write that
 * meets it answers 503 naming the store, and nothing was written; what is in memory keeps serving.
 */
export class StoreUnavailableError extends HttpError<FactoryErrorCode> {
  override name = 'StoreUnavailableError'
  constructor(
    /** The store, as KvBackend.description names it: `etcd http://127.0.0.1:2379`. */
    readonly store: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(503, 'ERR_STORE_UNAVAILABLE', `the store (${store}) is unavailable: ${reason}`, {
      ...options,
      headers: { 'Retry-After': '1' },
    })
  }
}
