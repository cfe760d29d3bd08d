/**
 * Bearer tokens for hono services. `requireAuth()` guards a route (its JSDoc says which KeySource
 * to pass: a JWKS via remoteKeys and the project's HTTPS client, one PEM, or a key set);
 * `forwardAuthorization(c)` passes the verified caller's token on to the next hop, and
 * `forwardUserAuthorization(c)` passes it beside the caller's own service token.
 */
export { B64TOKEN, parseBearer, readBearerToken } from './bearer-token.ts'
export {
  answerRefusal,
  NO_TOKEN_RESULT,
  refuse,
  type Refusal,
  type RefusalAnswer,
  type RefusalOptions,
  type TokenError,
} from './refusal/index.ts'
export { scopesOf } from './scope.ts'
export { bearerChallenge, type BearerChallenge, type BearerErrorCode } from './www-authenticate.ts'
export {
  requireAuth,
  type AuthEnv,
  type AuthErrorBody,
  type AuthInfo,
  type RequireAuthOptions,
  type TokenVerifier,
  type VerifiedClaims,
} from './require-auth/index.ts'
export {
  forwardAuthorization,
  forwardUserAuthorization,
  getAuth,
  USER_AUTHORIZATION_HEADER,
} from './forward-authorization.ts'
