import { Writable } from 'node:stream'
import { pino, type DestinationStream, type Logger } from 'pino'
import { formatLogLine } from './log-format.ts'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export const LOG_FORMATS = ['pretty', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export type { Logger } from 'pino'

export interface LoggerOptions {
  name: string
  level: LogLevel
  format: LogFormat
  /** Where lines go; standard output, written asynchronously, by default. */
  destination?: DestinationStream
}

/**
 * Structured logs, written asynchronously so logging never blocks a request. Never pass a whole
 * token, a private key, a password or a TOTP code: the `redact` list is a second line of defence.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ fd: 1, sync: false })
  const stream = options.format === 'pretty' ? prettyStream(destination) : destination
  return pino(
    {
      name: options.name,
      level: options.level,
      base: { name: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['token', 'password', 'privateKey', 'totp_code', 'secret', '*.token', '*.password'],
        censor: '[redacted]',
      },
    },
    stream,
  )
}

function prettyStream(destination: DestinationStream): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line) destination.write(`${formatLogLine(line)}\n`)
      }
      callback()
    },
  })
}

/** A logger that discards everything: for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}

/** JSON lines handed to `onLine` as they are written, for tests that read what was logged. */
export function recordingLogger(onLine: (line: string) => void, level: LogLevel = 'info'): Logger {
  return createLogger({ name: 'test', level, format: 'json', destination: { write: onLine } })
}
