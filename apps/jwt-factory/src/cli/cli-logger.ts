import { createLogger, type LogFormat, type Logger } from '@jwt-factory/server'

/** A command line program's log: warnings and errors only, on stderr, so stdout is its answer. */
export function createCliLogger(name: string, format: LogFormat): Logger {
  return createLogger({ name, level: 'warn', format, destination: process.stderr })
}
