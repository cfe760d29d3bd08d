import type { CheckName } from '@jwt-factory/jwt'

/** One line per check, for a learner reading the checklist: what the verifier made sure of. */
export const CHECK_HELP: Record<CheckName, string> = {
  format: 'three base64url parts, within the size cap, no duplicate names',
  key: "the key set holds a key for the token's kid",
  alg: "the key's pinned algorithm, never the token's choice",
  signature: 'the signature matches header.payload under that key',
  typ: 'the token type this verifier takes (a service JWT, not a user at+jwt)',
  required: 'exp, iat, iss, sub and aud are all there',
  iss: 'issued by the issuer this verifier trusts',
  sub: 'the subject is the expected caller',
  aud: 'meant for this verifier, not for another service',
  nbf: 'already valid (not before)',
  exp: 'not expired, within the clock tolerance',
  iat: 'not issued in the future, within the clock tolerance',
}
