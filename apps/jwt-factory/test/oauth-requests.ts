import { generateSigningKey, signToken, type SigningKey } from '@jwt-factory/jwt'
import type { ClientPublicJwk } from '../src/clients/client-record.ts'
import { JWT_BEARER_ASSERTION } from '../src/oauth/grant.ts'
import type { createTestFactory } from '../src/test-support.ts'

/** Requests to the factory's OAuth endpoints, as a client library sends them. */

/**
 * A client of a test factory: one that signs assertions (private_key_jwt: a signature check per
 * request, cheap) or one with a secret (client_secret_basic: scrypt per request, slow by design).
 */
export type TestClient = { id: string; key: SigningKey } | { id: string; secret: string }

/** client_secret_basic: id and secret form-urlencoded inside the credential (RFC 6749 §2.3.1). */
export const clientBasic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

/** A form POST (RFC 6749 §3.2), with client_secret_basic when a secret is given. */
export function formPost(
  params: Record<string, string>,
  client?: { id: string; secret: string },
): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(client ? { authorization: clientBasic(client.id, client.secret) } : {}),
    },
    body: new URLSearchParams(params).toString(),
  }
}

/**
 * A form POST to `endpoint` authenticated as `client`: a fresh, minute-long assertion for the
 * endpoint (RFC 7523 §3, a new jti each time) or its secret.
 */
export async function clientPost(
  client: TestClient,
  endpoint: string,
  params: Record<string, string>,
  now: Date,
): Promise<RequestInit> {
  if ('secret' in client) return formPost(params, client)
  const claims = { iss: client.id, sub: client.id, aud: endpoint }
  const { token } = await signToken(client.key, claims, { ttlSeconds: 60, now })
  return formPost({
    ...params,
    client_assertion_type: JWT_BEARER_ASSERTION,
    client_assertion: token,
  })
}

type TestFactory = Awaited<ReturnType<typeof createTestFactory>>

/** Registers clients that sign assertions, one key each, and returns them by name. */
export async function addKeyClients<const N extends string>(
  factory: TestFactory,
  names: readonly N[],
): Promise<Record<N, TestClient>> {
  const clients = {} as Record<N, TestClient>
  for (const id of names) {
    const key = await generateSigningKey('ES256')
    await factory.addClient(id, { keys: [{ ...key.publicJwk } as ClientPublicJwk] })
    clients[id] = { id, key }
  }
  return clients
}
