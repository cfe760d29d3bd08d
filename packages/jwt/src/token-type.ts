/** `typ` of service-to-service tokens, as jsonwebtoken (the original demo's library) writes it. */
export const SERVICE_TOKEN_TYPE = 'JWT'
/** `typ` of user access tokens (RFC 9068 §2.1); never accepted where a service token is expected. */
export const USER_TOKEN_TYPE = 'at+jwt'

/** The `typ` a verifier requires: "JWT" unless told; none when told `false`. */
export const expectedTyp = (typ: string | false | undefined): string | undefined =>
  typ === false ? undefined : (typ ?? SERVICE_TOKEN_TYPE)
