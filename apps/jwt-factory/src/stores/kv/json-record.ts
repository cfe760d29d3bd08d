import type { z } from 'zod'
import { problemsOf } from '../locked-json-file.ts'

/**
 * One stored value as JSON, its shape not checked yet. The error says what is wrong, never the
 * value: JSON.parse's own message quotes the text, and a record can hold a secret.
 */
export function parseJson(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    throw new Error('not valid JSON')
  }
}

/** The record checked against its schema; the error lists paths and rules, not values. */
export function checkRecord<R>(data: unknown, schema: z.ZodType<R>): R {
  const result = schema.safeParse(data)
  if (!result.success) throw new Error(problemsOf(result.error).join('; '))
  return result.data
}
