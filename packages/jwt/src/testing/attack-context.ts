import { generateSigningKey, type SigningKey } from '../signing-key.ts'
import { SERVICE_TOKEN_TYPE } from '../token-type.ts'
import type { VerifyErrorName } from '../verify-result.ts'
import { signForged } from '../forge.ts'

/** What a place that verifies trusts and expects. */
export interface AttackContext {
  /** The key the verifier trusts, private half included: claim attacks are validly signed. */
  key: SigningKey
  /** Claims a valid token carries; the verifier checks iss and aud (and sub unless told not to). */
  claims: { iss: string; sub: string; aud: string }
  /** False where the verifier pins no subject (requireAuth): subject attacks are left out. */
  checksSubject?: boolean
  /** `typ` the verifier requires (default "JWT"). */
  typ?: string
  /** Keys the verifier must not trust (generateAttackerKeys). */
  attacker: AttackerKeys
  /** Another service's real key, known to the same issuer: it signs `sub` of the expected caller. */
  otherServiceKey?: SigningKey
  /** Another service's audience, for a token of that service replayed here (default "servicec"). */
  otherAudience?: string
  /** The verifier's clock (default now) and tolerance (default 30 s). */
  now?: Date
  clockToleranceSeconds?: number
}

/** The attacker's own keys, one per algorithm family the product offers. */
export interface AttackerKeys {
  ec: SigningKey
  rsa: SigningKey
  ed: SigningKey
}

export interface Attack {
  /** Stable, kebab-case. */
  id: string
  /** What the attack is, for test names: `attack: <title> → <status> <name>`. */
  title: string
  token: string
  expect: {
    name: VerifyErrorName
    /** Given only when every place answers the same message. */
    message?: string
  }
  /**
   * Larger than an HTTP server takes in one header (node: 16 KiB) or the factory in a body
   * (64 KiB): places reached over HTTP expect their own transport refusal (431, 413) instead.
   */
  oversized?: true
}

/** The attacker's keys, made once per test file. */
export async function generateAttackerKeys(): Promise<AttackerKeys> {
  const [ec, rsa, ed] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('RS256'),
    generateSigningKey('EdDSA'),
  ])
  return { ec, rsa, ed }
}

/**
 * The one naming rule of attack tests, `attack: <what> → <status> <ErrorName>`, from which the
 * README's security table is generated.
 */
export function attackTestName(
  attack: Pick<Attack, 'title' | 'expect'>,
  status: number,
  name: string = attack.expect.name,
): string {
  return `attack: ${attack.title} → ${status} ${name}`
}

/** Messages that are the same at every place (verify-result.ts). */
export const MALFORMED = 'jwt malformed'
export const BAD_SIGNATURE = 'invalid signature'
export const BAD_ALGORITHM = 'invalid algorithm'
export const NO_KEY = 'no key matches the token'

/** An attack refused with `name` (JsonWebTokenError unless said), and `message` when given. */
export function refused(
  id: string,
  title: string,
  token: string,
  message?: string,
  name: VerifyErrorName = 'JsonWebTokenError',
): Attack {
  return { id, title, token, expect: { name, ...(message ? { message } : {}) } }
}

/** The header of a valid token: the trusted key's alg and kid, the expected typ. */
export function headerFor(ctx: AttackContext, extra: Record<string, unknown> = {}) {
  return { alg: ctx.key.alg, kid: ctx.key.kid, typ: ctx.typ ?? SERVICE_TOKEN_TYPE, ...extra }
}

export const nowSeconds = (ctx: AttackContext) =>
  Math.floor((ctx.now?.getTime() ?? Date.now()) / 1000)

/** The claims of a valid token, five minutes long, at the verifier's clock. */
export function claimsFor(ctx: AttackContext, extra: Record<string, unknown> = {}) {
  const now = nowSeconds(ctx)
  return { ...ctx.claims, iat: now, exp: now + 300, jti: 'attack', ...extra }
}

/** A token every place accepts: the control that proves the catalogue fails for its own reason. */
export function validToken(ctx: AttackContext, extra: Record<string, unknown> = {}): string {
  return signForged(ctx.key, headerFor(ctx), claimsFor(ctx, extra))
}

/** The attacker's key that can sign the trusted key's own algorithm. */
export function attackerKeyFor({ key, attacker }: AttackContext): SigningKey {
  return key.alg === 'ES256' ? attacker.ec : key.alg === 'EdDSA' ? attacker.ed : attacker.rsa
}
