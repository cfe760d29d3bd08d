import { HttpError } from '@jwt-factory/server'
import { StoreUnavailableError } from '../stores/store-unavailable.ts'

/** An error as it crosses the channel: what the other side needs to throw the same kind. */
export interface WireError {
  name: string
  message: string
  /** A document's format error (UsersFileError…): re-made by the document's own format. */
  file?: string
  problems?: readonly string[]
  /** An HttpError's answer. */
  status?: number
  code?: string
  store?: string
}

/** Re-makes a document's format error from its file and problems. */
export type RemakeFormatError = (file: string, problems: readonly string[]) => Error

export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const { name, message } = err
  const fields = err as Partial<WireError>
  return {
    name,
    message,
    ...(typeof fields.file === 'string' && Array.isArray(fields.problems)
      ? { file: fields.file, problems: [...fields.problems] }
      : {}),
    ...(err instanceof HttpError ? { status: err.status, code: String(err.code) } : {}),
    ...(err instanceof StoreUnavailableError ? { store: err.store } : {}),
  }
}

/**
 * The error the primary threw, as the worker's callers expect it: the same class where the
 * routes and stores tell errors apart (a format error, a store unavailable, an HttpError's
 * status), else an Error of the same name and message.
 */
export function fromWireError(wire: WireError, remake?: RemakeFormatError): Error {
  if (remake && wire.file !== undefined && wire.problems) return remake(wire.file, wire.problems)
  if (wire.store !== undefined) {
    return Object.assign(new StoreUnavailableError(wire.store, ''), { message: wire.message })
  }
  const err =
    wire.status === undefined
      ? new Error(wire.message)
      : new HttpError(wire.status as HttpError['status'], wire.code as never, wire.message)
  err.name = wire.name
  return err
}
