import {
  decodeTokenParts,
  localKeys,
  MAX_TOKEN_LENGTH,
  SERVICE_TOKEN_TYPE,
  USER_TOKEN_TYPE,
  verifyToken,
  type JWTPayload,
  type KeySource,
  type VerifyError,
} from '@jwt-factory/jwt'
import type { FactoryContext } from '../deps.ts'
import { TOKEN_REVOKED } from './token-revoked.ts'

/** A user token whose user is locked or removed since: in the verify-result shape. */
const USER_INACTIVE: VerifyError = Object.freeze({
  name: 'JsonWebTokenError',
  code: 'ERR_USER_INACTIVE',
  message: 'the user is locked or no longer exists',
})

/** Which of the factory's two issuers signed a token. */
export type TokenIssuer = 'services' | 'users'

type TokenHeader = NonNullable<ReturnType<typeof decodeTokenParts>>['header']

/** What the factory knows of a token: it verified, by which issuer; or why not. */
export type Inspection =
  | { active: true; issuer: TokenIssuer; header: TokenHeader; claims: JWTPayload }
  | { active: false; error: VerifyError }

/** What inspecting needs of the factory: its issuers, keys, revocations and clock. */
export type InspectionContext = Pick<
  FactoryContext,
  'config' | 'keyStore' | 'userKeys' | 'revocations' | 'userStore' | 'now'
>

/** The keys and `typ` a token of this issuer must have, and the subject they belong to. */
interface Expectation {
  keys: KeySource
  typ: string
  subject?: string
}

/**
 * Is this token one the factory issued and still stands behind? For /introspect, /revoke and the
 * token exchange's subject_token. The token's `iss` says which issuer to ask, and that issuer
 * alone decides the rest: a service token (iss = the service issuer) must be signed by the ring
 * of its own `sub` with `typ: JWT`; a user token (iss = the user issuer) by the user key with
 * `typ: at+jwt`; each key pinned to its own algorithm. Nothing else the token says (its `alg`,
 * `jku`, `typ`) picks a key, and any other `iss` is no token of ours. Times are checked on the
 * factory's clock with CLOCK_TOLERANCE_SECONDS; a revoked `jti` is inactive, and so is a user
 * token whose user is locked or removed. Never throws.
 */
export async function inspectToken(context: InspectionContext, token: string): Promise<Inspection> {
  const { config, revocations } = context
  // Before decoding: verifyToken refuses these anyway, and a megabyte is not worth parsing.
  const parts = token.length <= MAX_TOKEN_LENGTH ? decodeTokenParts(token) : undefined
  if (!parts) return inactive(MALFORMED)
  const iss = parts.claims.iss
  const issuer: TokenIssuer | undefined =
    iss === config.serviceIssuer ? 'services' : iss === config.userIssuer ? 'users' : undefined
  if (issuer === undefined) return inactive(unknownIssuer(context))
  const expected = expectation(context, issuer, parts.claims.sub)
  const result = await verifyToken(token, expected.keys, {
    issuer: iss as string,
    typ: expected.typ,
    subject: expected.subject,
    clockToleranceSeconds: config.clockToleranceSeconds,
    currentDate: context.now(),
  })
  if (!result.valid) return inactive(result.error)
  if (revocations.isRevoked(result.claims.jti)) return inactive(TOKEN_REVOKED)
  // The factory knows more than the token: a user locked or removed since it was issued is no
  // one it stands behind any more (as POST /auth refuses them), so nothing is exchanged for them.
  if (issuer === 'users') {
    const user = context.userStore.get(String(result.claims.sub))
    if (!user || user.locked) return inactive(USER_INACTIVE)
  }
  return { active: true, issuer, header: parts.header, claims: result.claims }
}

function expectation(
  { keyStore, userKeys }: InspectionContext,
  issuer: TokenIssuer,
  sub: unknown,
): Expectation {
  if (issuer === 'users') {
    return { keys: userKeys.keySource(), typ: USER_TOKEN_TYPE }
  }
  // A service token's subject is the keyId whose ring signed it (the user key is not a ring).
  const keyId = typeof sub === 'string' ? sub : undefined
  return {
    keys:
      keyId === undefined
        ? localKeys(() => undefined, 'no keys')
        : keyStore.keySource(keyId, `the keys of ${keyId}`),
    typ: SERVICE_TOKEN_TYPE,
    ...(keyId === undefined ? {} : { subject: keyId }),
  }
}

const inactive = (error: VerifyError): Inspection => ({ active: false, error })

const MALFORMED: VerifyError = {
  name: 'JsonWebTokenError',
  code: 'ERR_JWT_INVALID',
  message: 'jwt malformed',
}

const unknownIssuer = ({ config }: InspectionContext): VerifyError => ({
  name: 'JsonWebTokenError',
  code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
  message: `jwt issuer invalid. expected: ${config.serviceIssuer} or ${config.userIssuer}`,
})
