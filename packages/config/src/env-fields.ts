import { z } from 'zod'

/**
 * An unset, empty or blank variable means "use the default": dotenv gives `KEY=` as an empty
 * string, and a blank one would otherwise coerce to the number 0 (for a port: any free port).
 */
const unsetIfEmpty = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value

/** Plain decimal digits only: Number() would also take "0x1F90", "1e3" and " 8080 ". */
const decimalOrUnset = (value: unknown) => {
  const unset = unsetIfEmpty(value)
  return typeof unset === 'string' && /^-?\d{1,15}$/.test(unset) ? Number(unset) : unset
}

export function envInteger(defaultValue: number, min: number, max: number) {
  return z.preprocess(
    decimalOrUnset,
    z
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

export function envEnum<const T extends readonly [string, ...string[]]>(
  values: T,
  defaultValue: T[number],
) {
  return z.preprocess(
    unsetIfEmpty,
    z.enum(values, { error: `must be one of ${values.join(', ')}` }).default(defaultValue),
  )
}

export function envUrl(defaultValue: string) {
  return z.preprocess(unsetIfEmpty, z.url({ error: 'must be a URL' }).default(defaultValue))
}
