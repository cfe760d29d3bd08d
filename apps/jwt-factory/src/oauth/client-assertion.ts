import { decodeTokenParts, keyList, MAX_TOKEN_LENGTH, verifyToken } from '@jwt-factory/jwt'
import type { FactoryContext } from '../deps.ts'
import { JWT_BEARER_ASSERTION } from './grant.ts'
import { OAuthError } from './oauth-error.ts'

/**
 * The longest an assertion may still live when it arrives. RFC 7523 §3 leaves the lifetime to
 * the server; client libraries sign assertions for a minute or two (openid-client: 60 s), and a
 * short one is what keeps the replay memory (assertion-jtis.ts) small.
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300

/** RFC 7523 §3's claims; iat and nbf are optional there, so not required, but checked when sent. */
const ASSERTION_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'jti']

/**
 * `typ` values an assertion may carry: none (what openid-client and oauth4webapi sign), JWT, or
 * the one draft-ietf-oauth-rfc7523bis names. Anything else is another kind of JWT the client
 * signed with the same key (a DPoP proof, `dpop+jwt`), which must not pass for an assertion.
 */
const ASSERTION_TYPES = new Set([undefined, 'JWT', 'client-authentication+jwt'])

const refused = (why: string) => new OAuthError('invalid_client', `client_assertion ${why}`)

/**
 * private_key_jwt (RFC 7523 §2.2, §3): the assertion is signed by one of the client's registered
 * keys (each pinned to its own alg, chosen by `kid`; no kid is fine when the client has one key),
 * `iss` = `sub` = the client, `aud` names this server (either issuer, or the endpoint called),
 * `exp` is near, and its `jti` was never seen before (a replay is refused). Returns the client.
 */
export async function verifyClientAssertion(
  params: ReadonlyMap<string, string>,
  endpoint: string,
  context: FactoryContext,
): Promise<string> {
  const { config, now, clients, assertionJtis } = context
  if (params.get('client_assertion_type') !== JWT_BEARER_ASSERTION)
    throw refused(`needs client_assertion_type ${JWT_BEARER_ASSERTION}`)
  const assertion = params.get('client_assertion')
  if (assertion === undefined) throw refused('is missing')
  // Read before it is verified only to pick whose keys verify it; verification pins iss and sub.
  const unverified = assertion.length <= MAX_TOKEN_LENGTH ? decodeTokenParts(assertion) : undefined
  if (!unverified) throw refused('is not a readable JWT')
  if (!ASSERTION_TYPES.has(unverified.header.typ))
    throw refused(`has typ "${String(unverified.header.typ).slice(0, 40)}": not an assertion`)
  const sub = unverified.claims.sub
  const id = params.get('client_id') ?? (typeof sub === 'string' ? sub : undefined)
  if (id === undefined) throw refused('names no client: its sub must be the client_id')
  const client = clients.get(id)
  if (!client || client.keys.length === 0)
    throw refused('names no client registered with public keys')
  const currentDate = now()
  const tolerance = config.clockToleranceSeconds
  const result = await verifyToken(assertion, keyList(client.keys, `the keys of client ${id}`), {
    issuer: id,
    subject: id,
    typ: false,
    requiredClaims: ASSERTION_CLAIMS,
    clockToleranceSeconds: tolerance,
    currentDate,
  })
  if (!result.valid) throw refused(`refused: ${result.error.message}`)
  const { aud, exp, jti } = result.claims
  const ours = new Set([config.serviceIssuer, config.userIssuer, config.endpoints.token, endpoint])
  if (!(Array.isArray(aud) ? aud : [aud]).some((a) => a !== undefined && ours.has(a)))
    throw refused(`aud must name this server: one of ${[...ours].join(', ')}`)
  const nowSeconds = Math.floor(currentDate.getTime() / 1000)
  if (exp! > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + tolerance)
    throw refused(
      `expires more than ${MAX_ASSERTION_LIFETIME_SECONDS} s from now: sign a short one`,
    )
  if (typeof jti !== 'string' || jti === '') throw refused('needs a jti (a non-empty string)')
  const seen = await assertionJtis.consume(id, jti, exp! + tolerance)
  if (seen === 'replayed') throw refused('already used: its jti was seen before (RFC 7523 §3)')
  if (seen === 'full') throw refused('cannot be remembered now: too many live assertions; retry')
  return id
}
