import type { JWTPayload } from '@jwt-factory/jwt'
import type { FactoryContext } from '../deps.ts'
import { signAccessToken } from './access-token.ts'
import { ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE, type Grant } from './grant.ts'
import { inspectToken, type TokenIssuer } from './inspect-token.ts'
import { requiredParam } from './form-params.ts'
import { OAuthError } from './oauth-error.ts'
import { requestedAudience } from './requested-audience.ts'

/** The subject token types this server reads (RFC 8693 §3): its own JWT access tokens. */
const SUBJECT_TOKEN_TYPES: ReadonlySet<string> = new Set([ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE])

/** What a user's login proved travels with the user to the next audience (RFC 9068 §2.2.1). */
const USER_CLAIMS_CARRIED = ['auth_time', 'amr', 'level'] as const

/** An actor as RFC 8693 §4.1 writes it: who acted, and who acted before it. */
interface Actor {
  sub: string
  act?: Actor
}

/**
 * Token exchange (RFC 8693 §2): a client holding a token issued TO it (the subject token's `aud`
 * names the client) gets a token for the next audience, on the same subject's behalf.
 *
 * - The subject token is verified as the factory's own (inspectToken: signature, issuer, `typ`,
 *   times, revocation), never merely decoded: a token the factory would not accept is
 *   `invalid_grant`, with the reason.
 * - policy.json's `exchange` says for which audiences this client may exchange (`invalid_target`
 *   otherwise), so a token meant for servicea cannot be carried anywhere servicea likes.
 * - The result has the subject's issuer, `sub` and (unless narrowed) `scope`; `client_id` and
 *   `act` name the client (§4.1, nested: the most recent actor outermost); a user's `auth_time`,
 *   `amr` and `level` stay. It never outlives the subject token: an exchange must not extend a
 *   token's life, or a revoked session's token could be laundered into a fresh one.
 *
 * Cheap refusals (parameters, policy) come before the signature check; nothing is written on any
 * refusal.
 */
export const tokenExchangeGrant: Grant = async ({ params, client }, context) => {
  const subjectToken = requiredParam(params, 'subject_token')
  checkTokenTypes(params)
  const aud = requestedAudience(params)
  checkExchangePolicy(context, client.id, aud)
  const subject = await activeSubject(context, subjectToken, client.id)
  const scope = narrowedScope(subject.claims.scope, params.get('scope'))
  const ttlSeconds = remainingSeconds(context, subject.claims.exp)
  const claims: JWTPayload & { sub: string } = {
    ...carried(subject.issuer, subject.claims),
    sub: String(subject.claims.sub),
    aud,
    ...(scope !== undefined ? { scope } : {}),
    client_id: client.id,
    act: actorChain(client.id, subject.claims.act),
  }
  const signed = await signAccessToken(context, { issuer: subject.issuer, claims, ttlSeconds })
  return {
    access_token: signed.token,
    token_type: 'Bearer',
    expires_in: ttlSeconds,
    ...(scope !== undefined ? { scope } : {}),
    issued_token_type: ACCESS_TOKEN_TYPE,
  }
}

function checkTokenTypes(params: ReadonlyMap<string, string>): void {
  const type = requiredParam(params, 'subject_token_type')
  if (!SUBJECT_TOKEN_TYPES.has(type)) {
    throw new OAuthError(
      'invalid_request',
      `subject_token_type must be ${ACCESS_TOKEN_TYPE} or ${JWT_TOKEN_TYPE}`,
    )
  }
  const requested = params.get('requested_token_type')
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
    throw new OAuthError(
      'invalid_request',
      `requested_token_type may only be ${ACCESS_TOKEN_TYPE}: the factory issues access tokens`,
    )
  }
  // The client that authenticated is the actor; a second actor's token would be a second party
  // whose say-so this server has no policy for.
  if (params.has('actor_token') || params.has('actor_token_type')) {
    throw new OAuthError(
      'invalid_request',
      'actor_token is not accepted: the authenticated client is the actor',
    )
  }
}

function checkExchangePolicy(
  { policy }: FactoryContext,
  clientId: string,
  aud: string | string[],
): void {
  const allowed = Object.hasOwn(policy.exchange, clientId) ? policy.exchange[clientId]! : []
  const refused = (typeof aud === 'string' ? [aud] : aud).find((a) => !allowed.includes(a))
  if (refused === undefined) return
  const list = allowed.length ? allowed.join(', ') : 'none'
  throw new OAuthError(
    'invalid_target',
    `client ${clientId} may not exchange a token for audience ${refused} (the exchange policy allows ${list})`,
  )
}

/** The subject token, verified as the factory's own and issued to this client. */
async function activeSubject(context: FactoryContext, token: string, clientId: string) {
  const inspection = await inspectToken(context, token)
  if (!inspection.active)
    throw new OAuthError('invalid_grant', `subject_token refused: ${inspection.error.message}`)
  const { aud } = inspection.claims
  const audiences = typeof aud === 'string' ? [aud] : (aud ?? [])
  if (!audiences.includes(clientId)) {
    throw new OAuthError(
      'invalid_grant',
      `subject_token was not issued to ${clientId} (its aud is ${audiences.join(', ') || 'absent'}): only the audience of a token may exchange it`,
    )
  }
  return inspection
}

/** The subject's scope, or the part of it asked for; asking for more is `invalid_scope`. */
function narrowedScope(held: unknown, asked: string | undefined): string | undefined {
  const scopes = new Set(typeof held === 'string' ? held.split(' ').filter(Boolean) : [])
  if (asked === undefined) return typeof held === 'string' && held !== '' ? held : undefined
  const wider = asked.split(' ').find((s) => !scopes.has(s))
  if (wider !== undefined) {
    throw new OAuthError(
      'invalid_scope',
      `scope "${wider.slice(0, 64)}" is not in the subject token's scope: an exchange can only narrow it`,
    )
  }
  return asked
}

/** TOKEN_TTL_SECONDS, but never past the subject token's own `exp`. */
function remainingSeconds({ config, now }: FactoryContext, exp: number | undefined): number {
  const left = (exp ?? 0) - Math.floor(now().getTime() / 1000)
  // Accepted within the clock tolerance, but no time left to give the new token.
  if (left < 1) throw new OAuthError('invalid_grant', 'subject_token refused: jwt expired')
  return Math.min(config.tokenTtlSeconds, left)
}

/** A user's login facts; a service token carries none. */
function carried(issuer: TokenIssuer, claims: JWTPayload): JWTPayload {
  if (issuer !== 'users') return {}
  return Object.fromEntries(
    USER_CLAIMS_CARRIED.filter((c) => claims[c] !== undefined).map((c) => [c, claims[c]]),
  )
}

/** This client as the actor, the subject's own chain (if any) nested inside: only `sub`s. */
function actorChain(clientId: string, previous: unknown): Actor {
  const prior = previous as { sub?: unknown; act?: unknown } | undefined
  if (typeof prior?.sub !== 'string') return { sub: clientId }
  return { sub: clientId, act: actorChain(prior.sub, prior.act) }
}
