import { Hono } from 'hono'
import { localKeys, tokenKid, verifyToken } from '@jwt-factory/jwt'
import { addLogFields, BadRequestError, readJsonObject, type ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { parseKeyId } from '../keys/key-id.ts'
import { unknownKeyId } from './keys.ts'

export function verifyRoutes({ keyStore, config, now }: FactoryContext) {
  return new Hono<ServerEnv>().post('/verify/:keyId', async (c) => {
    const keyId = parseKeyId(c.req.param('keyId'))
    if (!keyStore.get(keyId)) throw unknownKeyId(keyId)
    const body = await readJsonObject(c)
    const token = requiredString(body, 'token')
    const aud = requiredString(body, 'aud')
    const sub = requiredString(body, 'sub')
    const result = await verifyToken(
      token,
      localKeys((kid) => keyStore.lookup(keyId, kid)),
      {
        issuer: config.issuer,
        audience: aud,
        subject: sub,
        clockToleranceSeconds: config.clockToleranceSeconds,
        currentDate: now(),
      },
    )
    addLogFields(c, {
      keyId,
      kid: result.valid ? tokenKid(token) : undefined,
      sub,
      aud,
      valid: result.valid,
      error: result.valid ? undefined : result.error.message,
    })
    return c.json(result, result.valid ? 200 : 403)
  })
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name]
  if (typeof value !== 'string' || value === '') {
    throw new BadRequestError(
      `body must have "${name}" (a non-empty string): { "token", "aud", "sub" }`,
    )
  }
  return value
}
