import { SERVICE_TOKEN_TYPE, USER_TOKEN_TYPE } from '../token-type.ts'
import {
  claimsFor,
  headerFor,
  nowSeconds,
  refused,
  type Attack,
  type AttackContext,
} from './attack-context.ts'
import { signForged } from '../forge.ts'

/**
 * Validly signed tokens whose claims are wrong (RFC 7519 §4.1, RFC 8725 §3.8-3.12): missing,
 * out of time, for another issuer, audience, subject or token type, or signed by another
 * service's real key.
 */
export function claimAttacks(ctx: AttackContext): Attack[] {
  const now = nowSeconds(ctx)
  const tolerance = ctx.clockToleranceSeconds ?? 30
  const typ = ctx.typ ?? SERVICE_TOKEN_TYPE
  const otherTyp = typ === SERVICE_TOKEN_TYPE ? USER_TOKEN_TYPE : SERVICE_TOKEN_TYPE
  const otherAudience = ctx.otherAudience ?? 'servicec'
  const signed = (extra: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    signForged(ctx.key, headerFor(ctx, header), claimsFor(ctx, extra))
  const without = (claim: string) => {
    const claims: Record<string, unknown> = claimsFor(ctx)
    delete claims[claim]
    return signForged(ctx.key, headerFor(ctx), claims)
  }
  const expired = signed({ iat: now - tolerance - 360, exp: now - tolerance - 60 })
  const attacks: Attack[] = [
    refused('missing-exp', 'no exp', without('exp'), 'jwt exp required'),
    refused('missing-iat', 'no iat', without('iat'), 'jwt iat required'),
    refused('missing-iss', 'no iss', without('iss'), 'jwt iss required'),
    refused('missing-sub', 'no sub', without('sub'), 'jwt sub required'),
    refused('missing-aud', 'no aud', without('aud'), 'jwt aud required'),
    refused('exp-string', 'exp as a string', signed({ exp: String(now + 300) }), 'jwt exp invalid'),
    refused(
      'expired',
      `expired ${tolerance + 60} s ago (beyond the ${tolerance} s tolerance)`,
      expired,
      'jwt expired',
      'TokenExpiredError',
    ),
    refused(
      'nbf-future',
      'nbf an hour ahead',
      signed({ nbf: now + 3600, exp: now + 7200 }),
      'jwt not active',
      'NotBeforeError',
    ),
    refused(
      'iat-future',
      'iat a year ahead',
      signed({ iat: now + 31_536_000, exp: now + 31_536_300 }),
      'jwt issued in the future',
    ),
    refused(
      'wrong-issuer',
      'another issuer',
      signed({ iss: 'https://evil.example/' }),
      `jwt issuer invalid. expected: ${ctx.claims.iss}`,
    ),
    refused(
      'replayed-audience',
      `a token for ${otherAudience} replayed here`,
      signed({ aud: otherAudience }),
      `jwt audience invalid. expected: ${ctx.claims.aud}`,
    ),
    refused(
      'typ-other',
      `typ ${otherTyp} where ${typ} is expected`,
      signed({}, { typ: otherTyp }),
      `jwt type invalid. expected: ${typ}`,
    ),
    refused(
      'typ-missing',
      `no typ where ${typ} is expected`,
      signed({}, { typ: undefined }),
      `jwt type invalid. expected: ${typ}`,
    ),
  ]
  if (ctx.checksSubject !== false) {
    attacks.push(
      refused(
        'wrong-subject',
        'another subject (servicez)',
        signed({ sub: 'servicez' }),
        `jwt subject invalid. expected: ${ctx.claims.sub}`,
      ),
    )
  }
  if (ctx.otherServiceKey) {
    const other = ctx.otherServiceKey
    const token = signForged(other, { alg: other.alg, kid: other.kid, typ }, claimsFor(ctx))
    const title = `signed by another service's key, presenting sub ${ctx.claims.sub}`
    attacks.push(refused('other-service-key', title, token))
  }
  return attacks
}
