import { z } from 'zod'

/** An unset or empty variable means "use the default": dotenv gives `KEY=` as an empty string. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value)

export function envInteger(defaultValue: number, min: number, max: number) {
  return z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(defaultValue),
  )
}

export function envPort(defaultValue: number) {
  return envInteger(defaultValue, 0, 65_535)
}

export function envString(defaultValue: string) {
  return z.preprocess(unsetIfEmpty, z.string().min(1).default(defaultValue))
}

export function envEnum<const T extends readonly [string, ...string[]]>(values: T, defaultValue: T[number]) {
  return z.preprocess(
    unsetIfEmpty,
    z.enum(values, { error: `must be one of ${values.join(', ')}` }).default(defaultValue),
  )
}

export function envUrl(defaultValue: string) {
  return z.preprocess(unsetIfEmpty, z.url({ error: 'must be a URL' }).default(defaultValue))
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export const LOG_FORMATS = ['pretty', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]
