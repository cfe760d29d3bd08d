import { B64TOKEN } from '@jwt-factory/hono-auth'
import { z } from 'zod'

/** 32 characters of base64 or hex is 192+ bits: no point guessing it, even without throttling. */
export const MIN_ADMIN_TOKEN_LENGTH = 32

/** What an admin token must be, for error messages; never shows the token itself. */
export const ADMIN_TOKEN_RULE = `at least ${MIN_ADMIN_TOKEN_LENGTH} characters, e.g. \`openssl rand -base64 32\``

/**
 * The admin token travels as `Authorization: Bearer <token>`, so it is one RFC 6750 §2.1 b64token:
 * letters, digits and `-._~+/`, optionally `=` padding.
 */
export const adminTokenSchema = z
  .string()
  .min(MIN_ADMIN_TOKEN_LENGTH, `must be ${ADMIN_TOKEN_RULE}`)
  .max(1024, 'must be at most 1024 characters')
  .regex(B64TOKEN, 'must be one word of letters, digits and -._~+/ (a bearer token, RFC 6750 §2.1)')
