import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * Stable codes for expected request failures that every app shares; clients may switch on them.
 * An app with finer codes names them in a union of its own and passes it where it throws one:
 * `new BadRequestError<FactoryErrorCode>(message, 'ERR_INVALID_KEY_ID')`. So this package names
 * no app's concepts, and a code that neither union declares does not compile.
 */
export type HttpErrorCode =
  | 'ERR_BAD_REQUEST'
  | 'ERR_INVALID_JSON'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN'
  | 'ERR_NOT_FOUND'
  | 'ERR_CONFLICT'
  | 'ERR_PAYLOAD_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_TOO_MANY_REQUESTS'
  | 'ERR_INTERNAL'
  | 'ERR_BAD_GATEWAY'
  | 'ERR_UNAVAILABLE'
  | 'ERR_GATEWAY_TIMEOUT'

/** The form of an app's own codes, as of jose's: `ERR_…`. */
export type AppErrorCode = `ERR_${string}`

export interface HttpErrorBody {
  /** `hop` names the process that could not be reached, on 502 and 504. */
  error: { name: string; code: HttpErrorCode | AppErrorCode; message: string; hop?: string }
}

/** ErrorOptions, and the response headers the error is answered with (a challenge, Retry-After). */
export interface HttpErrorOptions extends ErrorOptions {
  headers?: Readonly<Record<string, string>>
}

/**
 * An expected request failure. One `onError` turns it into `{ error: { name, code, message } }`
 * with its status; anything that is not an HttpError is answered as a generic 500.
 *
 * `AppCode` checks the code where the error is made and nowhere else (NoInfer: it is the union
 * the app names, never whatever string was passed), so any HttpError is still an `HttpError`.
 */
export class HttpError<AppCode extends AppErrorCode = never> extends Error {
  override name = 'HttpError'
  readonly headers: Readonly<Record<string, string>>
  readonly code: HttpErrorCode | AppErrorCode
  constructor(
    readonly status: ContentfulStatusCode,
    code: HttpErrorCode | NoInfer<AppCode>,
    message: string,
    options?: HttpErrorOptions,
  ) {
    super(message, options)
    this.code = code
    this.headers = { ...options?.headers }
  }

  toJSON(): HttpErrorBody {
    return { error: { name: this.name, code: this.code, message: this.message } }
  }
}

export class BadRequestError<AppCode extends AppErrorCode = never> extends HttpError<AppCode> {
  override name = 'BadRequestError'
  constructor(
    message: string,
    code: HttpErrorCode | NoInfer<AppCode> = 'ERR_BAD_REQUEST',
    options?: HttpErrorOptions,
  ) {
    super(400, code, message, options)
  }
}

export class UnauthorizedError extends HttpError {
  override name = 'UnauthorizedError'
  constructor(message: string, options?: HttpErrorOptions) {
    super(401, 'ERR_UNAUTHORIZED', message, options)
  }
}

export class ForbiddenError extends HttpError {
  override name = 'ForbiddenError'
  constructor(message: string, options?: HttpErrorOptions) {
    super(403, 'ERR_FORBIDDEN', message, options)
  }
}

export class NotFoundError<AppCode extends AppErrorCode = never> extends HttpError<AppCode> {
  override name = 'NotFoundError'
  constructor(message: string, code: HttpErrorCode | NoInfer<AppCode> = 'ERR_NOT_FOUND') {
    super(404, code, message)
  }
}

export class ConflictError extends HttpError {
  override name = 'ConflictError'
  constructor(message: string) {
    super(409, 'ERR_CONFLICT', message)
  }
}

export class PayloadTooLargeError extends HttpError {
  override name = 'PayloadTooLargeError'
  constructor(limitBytes: number) {
    super(413, 'ERR_PAYLOAD_TOO_LARGE', `request body is larger than ${limitBytes} bytes`)
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  override name = 'UnsupportedMediaTypeError'
  constructor(message: string) {
    super(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', message)
  }
}

export class TooManyRequestsError extends HttpError {
  override name = 'TooManyRequestsError'
  constructor(message: string, retryAfterSeconds: number) {
    const retryAfter = String(Math.max(1, Math.ceil(retryAfterSeconds)))
    super(429, 'ERR_TOO_MANY_REQUESTS', message, { headers: { 'Retry-After': retryAfter } })
  }
}

/** A failure of a hop this process depends on; the body names the hop. */
export abstract class HopError extends HttpError {
  constructor(
    status: 502 | 504,
    code: 'ERR_BAD_GATEWAY' | 'ERR_GATEWAY_TIMEOUT',
    readonly hop: string,
    message: string,
    options?: HttpErrorOptions,
  ) {
    super(status, code, message, options)
  }

  override toJSON(): HttpErrorBody {
    return { error: { ...super.toJSON().error, hop: this.hop } }
  }
}

/** A hop this process depends on refused the connection or answered garbage. */
export class BadGatewayError extends HopError {
  override name = 'BadGatewayError'
  constructor(hop: string, message: string, options?: HttpErrorOptions) {
    super(502, 'ERR_BAD_GATEWAY', hop, message, options)
  }
}

/** A hop this process depends on did not answer in time. */
export class GatewayTimeoutError extends HopError {
  override name = 'GatewayTimeoutError'
  constructor(hop: string, message: string, options?: HttpErrorOptions) {
    super(504, 'ERR_GATEWAY_TIMEOUT', hop, message, options)
  }
}

export class ServiceUnavailableError extends HttpError {
  override name = 'ServiceUnavailableError'
  constructor(message: string, options?: HttpErrorOptions) {
    super(503, 'ERR_UNAVAILABLE', message, options)
  }
}
