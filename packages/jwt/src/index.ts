export {
  SIGNING_ALGORITHMS,
  DEFAULT_ALGORITHM,
  MIN_RSA_BITS,
  KeyImportError,
  algorithmForKey,
  isSigningAlgorithm,
  type SigningAlgorithm,
} from './algorithms.ts'
export {
  generateSigningKey,
  signingKeyFromPem,
  verificationKeyFromPem,
  type PublicJwk,
  type SigningKey,
  type VerificationKey,
} from './signing-key.ts'
export {
  localKeys,
  keyList,
  remoteKeys,
  type KeySource,
  type KeySetCache,
  type ResolvedKey,
  type RemoteKeysOptions,
} from './key-source.ts'
export { signToken, InvalidClaimsError, type SignTokenOptions, type SignedToken } from './sign.ts'
export {
  verifyToken,
  verifyTokenWithReport,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_TOKEN_LENGTH,
  type VerifyTokenOptions,
} from './verify.ts'
export { verifySignedElsewhere, type SignatureCheckedBy } from './verify-signed-elsewhere.ts'
export {
  isKeysUnavailable,
  type VerifyError,
  type VerifyErrorCode,
  type VerifyErrorName,
  type VerifyFailure,
  type VerifyResult,
  type VerifySuccess,
} from './verify-result.ts'
export { EXPIRED_TOKEN_AGE_SECONDS, expiredVariantTime } from './expired-variant.ts'
export { toJwks, type Jwks } from './jwks.ts'
export type { JWTPayload } from 'jose'
export { SERVICE_TOKEN_TYPE, USER_TOKEN_TYPE } from './token-type.ts'
export { decodeTokenParts, tokenKid } from './token-header.ts'
export { actorsOf, actChainText } from './act-chain.ts'
export {
  ACT_CHECK,
  CHECK_ORDER,
  type Check,
  type CheckName,
  type CheckStatus,
  type VerificationReport,
} from './verification-report.ts'
