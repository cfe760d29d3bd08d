import type { Context } from 'hono'
import { BadRequestError, readJsonObject, type ServerEnv } from '@jwt-factory/server'
import type { z } from 'zod'

/** The request's JSON body as `schema` describes it; a 400 naming every field that is wrong. */
export async function readBody<S extends z.ZodType>(
  c: Context<ServerEnv>,
  schema: S,
): Promise<z.output<S>> {
  const result = schema.safeParse(await readJsonObject(c, { allowEmpty: true }))
  if (result.success) return result.data
  const problems = result.error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`,
  )
  throw new BadRequestError(`invalid request body: ${problems.join('; ')}`)
}
