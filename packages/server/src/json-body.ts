import type { Context } from 'hono'
import { BadRequestError, UnsupportedMediaTypeError } from './http-error.ts'
import { readBodyText } from './request-body.ts'
import type { ServerEnv } from './server-env.ts'

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

export interface ReadJsonObjectOptions {
  /** An empty body reads as `{}` (e.g. `POST /issueToken/x` with no claims). */
  allowEmpty?: boolean
}

/**
 * Reads the request body as a JSON object, at most the app's body limit (413 beyond it);
 * a body that is not JSON, or JSON that is not an object, is a 400 that names the problem.
 */
export async function readJsonObject(
  c: Context<ServerEnv>,
  options: ReadJsonObjectOptions = {},
): Promise<Record<string, unknown>> {
  const text = await readBodyText(c)
  if (text.trim() === '') {
    if (options.allowEmpty) return {}
    throw new BadRequestError('request body must be a JSON object', 'ERR_INVALID_JSON')
  }
  const type = c.req.header('content-type')
  if (type !== undefined && !JSON_TYPE.test(type)) {
    throw new UnsupportedMediaTypeError(
      'request body must be JSON (content-type: application/json)',
    )
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new BadRequestError('request body is not valid JSON', 'ERR_INVALID_JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequestError('request body must be a JSON object', 'ERR_INVALID_JSON')
  }
  return value as Record<string, unknown>
}
