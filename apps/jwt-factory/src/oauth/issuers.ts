import { z } from 'zod'

/**
 * PUBLIC_URL: the origin clients reach the factory at, which is also the issuer identifier. RFC
 * 8414 §2 and OpenID Connect Discovery 1.0 §4.3 make a client derive the discovery URL from the
 * issuer and refuse a document whose `issuer` differs, so it must be exactly what clients type:
 * https (http only when set explicitly, for a factory served without certificates), no path (the
 * issuers live at / and /users), no query, fragment or credentials.
 */
export const publicUrlSchema = z
  .url({ error: 'must be a URL' })
  .transform((value) => new URL(value))
  .refine((url) => url.protocol === 'https:' || url.protocol === 'http:', {
    error: 'must be an https:// URL (or http:// when the factory serves no certificates)',
  })
  .refine((url) => url.pathname === '/' && url.search === '' && url.hash === '', {
    error: 'must be an origin (scheme, host, port) without a path, query or fragment',
  })
  .refine((url) => url.username === '' && url.password === '', {
    error: 'must not carry a user name or password',
  })
  .transform((url) => url.origin)

/**
 * The factory's two issuers, so a keyId can never become a user: service tokens (/issueToken,
 * client_credentials) come from the public URL itself, user tokens (/login) from `/users` beneath
 * it, each with its own discovery document and a jwks_uri holding only its own keys. One /token,
 * /introspect and /revoke serve both.
 */
export function issuers(publicUrl: string) {
  const origin = publicUrl.replace(/\/+$/, '')
  return {
    /** Where clients reach the factory (no trailing slash); every URL it publishes starts here. */
    publicUrl: origin,
    /** `iss` of service tokens; its JWKS holds the service keys only. */
    serviceIssuer: origin,
    /** `iss` of user tokens (RFC 9068); its JWKS holds the user key only. */
    userIssuer: `${origin}/users`,
    endpoints: Object.freeze({
      token: `${origin}/token`,
      introspection: `${origin}/introspect`,
      revocation: `${origin}/revoke`,
    }),
  }
}
