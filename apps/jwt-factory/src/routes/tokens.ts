import { Hono, type Context } from 'hono'
import { InvalidClaimsError, type JWTPayload, expiredVariantTime } from '@jwt-factory/jwt'
import {
  addLogFields,
  BadRequestError,
  isFlagSet,
  readJsonObject,
  type ServerEnv,
} from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { signIssuableToken } from '../issuable-token.ts'
import type { FactoryErrorCode } from '../factory-error-code.ts'
import { parseKeyId } from '../keys/key-id.ts'
import { checkServiceClaims } from '../policy/claim-policy.ts'
import { unknownKeyId } from './keys.ts'

/** Times and ids are the factory's to set; a caller asks for a lifetime with X-Expire-Seconds. */
const RESERVED_CLAIMS = ['exp', 'iat', 'nbf', 'jti'] as const

/**
 * Who acts and for which client is the factory's to say (RFC 8693 §4.1, §4.4, RFC 9068 §2.2):
 * a service token carrying a chain or a client_id of the caller's choosing would be taken for
 * the product of an exchange, and the named client could introspect or revoke it.
 */
const DELEGATION_CLAIMS = ['act', 'may_act', 'client_id'] as const

export function tokenRoutes({ keyStore, config, policy, now }: FactoryContext) {
  return new Hono<ServerEnv>().post('/issueToken/:keyId', async (c) => {
    const keyId = parseKeyId(c.req.param('keyId'))
    const ring = keyStore.get(keyId)
    if (!ring) throw unknownKeyId(keyId)
    const body = await readJsonObject(c, { allowEmpty: true })
    const claims: JWTPayload = {
      iss: config.serviceIssuer,
      sub: keyId,
      ...checkClaims(body, keyId),
    }
    // A keyId never speaks as a user: the user issuer's tokens come from /login alone.
    if (claims.iss === config.userIssuer) {
      throw new BadRequestError<FactoryErrorCode>(
        `claim "iss" must not be the user issuer (${config.userIssuer}): a keyId's tokens are service tokens`,
        'ERR_INVALID_CLAIMS',
      )
    }
    checkServiceClaims(policy, keyId, claims)
    const ttlSeconds = requestedTtl(c, config.tokenTtlSeconds, config.maxTokenTtlSeconds)
    const expired = isFlagSet(c.req.query('expired'))
    const issuedAt = expired ? expiredVariantTime(ttlSeconds, now()) : now()
    const signed = await signIssuableToken(ring.active, claims, {
      ttlSeconds,
      now: issuedAt,
    }).catch((err: unknown) => {
      throw err instanceof InvalidClaimsError
        ? new BadRequestError<FactoryErrorCode>(err.message, 'ERR_INVALID_CLAIMS', { cause: err })
        : err
    })
    addLogFields(c, {
      keyId,
      kid: ring.active.kid,
      sub: claims.sub,
      aud: String(claims.aud),
      expired,
    })

    const expiresIn = Math.max(0, signed.claims.exp - Math.floor(now().getTime() / 1000))
    if (prefersJson(c)) {
      return c.json({
        access_token: signed.token,
        token_type: 'Bearer',
        expires_in: expiresIn,
        expire_time: signed.claims.exp,
      })
    }
    return c.text(signed.token)
  })
}

function checkClaims(body: Record<string, unknown>, keyId: string): JWTPayload {
  for (const claim of RESERVED_CLAIMS) {
    if (claim in body) {
      throw new BadRequestError<FactoryErrorCode>(
        `claim "${claim}" is set by the factory (ask a lifetime with X-Expire-Seconds)`,
        'ERR_INVALID_CLAIMS',
      )
    }
  }
  for (const claim of DELEGATION_CLAIMS) {
    if (claim in body) {
      throw new BadRequestError<FactoryErrorCode>(
        `claim "${claim}" is set by the factory: a token exchange at POST /token names who acts`,
        'ERR_INVALID_CLAIMS',
      )
    }
  }
  for (const claim of ['iss', 'sub'] as const) {
    if (claim in body && (typeof body[claim] !== 'string' || body[claim] === '')) {
      throw new BadRequestError<FactoryErrorCode>(
        `claim "${claim}" must be a non-empty string`,
        'ERR_INVALID_CLAIMS',
      )
    }
  }
  // A token signed with keyId's key speaks for keyId: letting a caller name another subject would let
  // serviceb's key sign "I am servicea", which anyone trusting the JWKS would believe.
  if ('sub' in body && body.sub !== keyId) {
    throw new BadRequestError<FactoryErrorCode>(
      `claim "sub" must be the keyId (${keyId}): a token signed with ${keyId}'s key speaks for ${keyId}`,
      'ERR_INVALID_CLAIMS',
    )
  }
  const aud = body.aud
  if (
    aud !== undefined &&
    !(typeof aud === 'string' && aud !== '') &&
    !(Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string' && a !== ''))
  ) {
    throw new BadRequestError<FactoryErrorCode>(
      'claim "aud" must be a non-empty string or array of strings',
      'ERR_INVALID_CLAIMS',
    )
  }
  return body as JWTPayload
}

/** X-Expire-Seconds (AppMesh's header) or ?ttl=, capped at the configured maximum. */
export function requestedTtl(c: Context, defaultTtl: number, maxTtl: number): number {
  const raw = c.req.header('x-expire-seconds') ?? c.req.query('ttl')
  if (raw === undefined || raw === '') return defaultTtl
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new BadRequestError(
      'X-Expire-Seconds (or ttl) must be a whole number of seconds, at least 1',
    )
  }
  return Math.min(Number(raw), maxTtl)
}

const prefersJson = (c: Context) => /\bapplication\/json\b/i.test(c.req.header('accept') ?? '')
