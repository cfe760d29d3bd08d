import { Hono } from 'hono'
import { addLogFields, BadRequestError, readJsonObject, type ServerEnv } from '@jwt-factory/server'
import type { FactoryConfig } from '../config.ts'
import type { FactoryContext } from '../deps.ts'
import { clientAddress } from '../login/client-address.ts'

const BODY = '{ "user_name", "totp_code", "totp_challenge", "expire_seconds"? }'

/**
 * AppMesh's POST /totp/validate, the second half of a login that answered 428: the challenge is
 * checked (and consumed) first, then the code, then the token comes as from POST /login.
 */
export function totpRoutes({ config, loginFlow }: FactoryContext) {
  return new Hono<ServerEnv>().post('/totp/validate', async (c) => {
    const body = await readJsonObject(c)
    const name = requiredString(body, 'user_name')
    const code = requiredString(body, 'totp_code')
    const challenge = requiredString(body, 'totp_challenge')
    const ttlSeconds = expireSeconds(body.expire_seconds, config)
    c.header('Cache-Control', 'no-store')
    const response = await loginFlow.finishTotp(name, challenge, code, clientAddress(c), ttlSeconds)
    addLogFields(c, { user: response.profile.name, amr: 'pwd otp' })
    return c.json(response)
  })
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field]
  // A code sent as a JSON number would lose its leading zeros: strings only.
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw new BadRequestError(`body must have "${field}" (a non-empty string): ${BODY}`)
  }
  return value.trim()
}

/** AppMesh sends it as a string ("360000"); a number is fine too. Absent: what /login was asked. */
function expireSeconds(value: unknown, config: FactoryConfig): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const text = String(value)
  const wellTyped = typeof value === 'string' || typeof value === 'number'
  if (!wellTyped || !/^\d{1,9}$/.test(text) || Number(text) < 1) {
    throw new BadRequestError('"expire_seconds" must be a whole number of seconds, at least 1')
  }
  return Math.min(Number(text), config.maxTokenTtlSeconds)
}
