export {
  HttpError,
  BadRequestError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  TooManyRequestsError,
  HopError,
  BadGatewayError,
  GatewayTimeoutError,
  ServiceUnavailableError,
  type AppErrorCode,
  type HttpErrorBody,
  type HttpErrorOptions,
  type HttpErrorCode,
} from './http-error.ts'
export {
  createLogger,
  silentLogger,
  recordingLogger,
  LOG_LEVELS,
  LOG_FORMATS,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogFormat,
} from './logger.ts'
export { formatLogLine } from './log-format.ts'
export {
  createBaseApp,
  addLogFields,
  logQuietly,
  DEFAULT_BODY_LIMIT_BYTES,
  type BaseAppOptions,
} from './create-base-app.ts'
export { handleError, handleNotFound } from './error-handler.ts'
export { readJsonObject, type ReadJsonObjectOptions } from './json-body.ts'
export { readBodyText, limitBody } from './request-body.ts'
export {
  listen,
  onShutdownSignal,
  ListenError,
  type ListenOptions,
  type RunningServer,
} from './listen.ts'
export type { ServerEnv, LogFields } from './server-env.ts'
export { isFlagSet } from './query-flag.ts'
export { isLoopbackHost } from './loopback-host.ts'
export { connectionOf, type Connection } from './connection.ts'
export { loopbackOnly } from './loopback-only.ts'
export {
  FAULT_HEADER,
  faultOf,
  forwardedFault,
  freezeWhenAsked,
  injectedFault,
  requestedFault,
  type InjectedFault,
} from './injected-fault.ts'
