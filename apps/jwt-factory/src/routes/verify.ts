import { Hono } from 'hono'
import { refuse } from '@jwt-factory/hono-auth'
import { tokenKid } from '@jwt-factory/jwt'
import { outcome, traceFromHeaders, tracedVerify } from '@jwt-factory/trace'
import { addLogFields, BadRequestError, readJsonObject, type ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { FACTORY_NAME } from '../factory-name.ts'
import { parseKeyId } from '../keys/key-id.ts'
import { unlessRevoked } from '../oauth/token-revoked.ts'
import { unknownKeyId } from './keys.ts'

export function verifyRoutes({ keyStore, config, now, revocations }: FactoryContext) {
  return new Hono<ServerEnv>().post('/verify/:keyId', async (c) => {
    const keyId = parseKeyId(c.req.param('keyId'))
    if (!keyStore.get(keyId)) throw unknownKeyId(keyId)
    const body = await readJsonObject(c)
    const token = requiredString(body, 'token')
    const aud = requiredString(body, 'aud')
    const sub = requiredString(body, 'sub')
    const keys = keyStore.keySource(keyId, `the keys of ${keyId}`)
    // A traced caller (serviceb in scenario 1) gets this verification's checks as a span.
    const trace = traceFromHeaders((name) => c.req.header(name), {
      rid: c.get('requestId'),
      logger: c.get('logger'),
    })
    const verified = await tracedVerify(trace, {
      by: FACTORY_NAME,
      token,
      keys,
      options: {
        issuer: config.serviceIssuer,
        audience: aud,
        subject: sub,
        clockToleranceSeconds: config.clockToleranceSeconds,
        currentDate: now(),
      },
    })
    // Revoked at POST /revoke: the signature and claims are fine, the factory no longer stands by it.
    const result = unlessRevoked(verified, revocations)
    if (verified.valid && !result.valid) {
      // Every check of the verify span passed: a traced caller sees what refused it after them.
      const call = 'check the revocations (POST /revoke)'
      trace
        .start({ kind: 'verify', from: FACTORY_NAME, to: FACTORY_NAME, call })
        .end({ status: 403, result: outcome(result) })
    }
    addLogFields(c, {
      keyId,
      kid: result.valid ? tokenKid(token) : undefined,
      sub,
      aud,
      valid: result.valid,
      error: result.valid ? undefined : result.error.message,
    })
    const traced = trace.enabled ? { trace: trace.spans() } : {}
    if (result.valid) return c.json({ ...result, ...traced }, 200)
    // The token came in the body: the original demo's answer, the result alone, no challenge.
    return refuse(c, { kind: 'invalid-token', error: result.error }, BODY_TOKEN_REFUSAL, traced)
  })
}

const BODY_TOKEN_REFUSAL = {
  realm: FACTORY_NAME,
  style: 'verify-result',
  labelled: false,
  challenge: false,
} as const

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name]
  if (typeof value !== 'string' || value === '') {
    throw new BadRequestError(
      `body must have "${name}" (a non-empty string): { "token", "aud", "sub" }`,
    )
  }
  return value
}
