import type { CheckName } from '@jwt-factory/jwt'

/** One short line per check, for a learner reading the checklist: what the verifier made sure of. */
export const CHECK_HELP: Record<CheckName, string> = {
  format: 'three base64url parts, no duplicate names',
  key: "the key set has a key for the token's kid",
  alg: "the key's own algorithm, never the token's pick",
  signature: 'matches header.payload under that key',
  typ: 'the kind of token this slot takes: a service JWT or a user at+jwt, never the other',
  required: 'exp, iat, iss, sub and aud are there, iat a date',
  iss: 'the issuer this verifier trusts',
  sub: 'the caller it expects',
  aud: 'meant for this verifier, not another',
  nbf: 'already valid (not before)',
  exp: 'not expired, give or take the tolerance',
  iat: 'not issued in the future, give or take the tolerance',
  act: 'the services that passed the token on, latest first (RFC 8693 act)',
}
