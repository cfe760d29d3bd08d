import type { Context } from 'hono'
import { HttpError, type ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { parseBasicCredentials } from '../login/basic-credentials.ts'
import { clientAddress } from '../login/client-address.ts'
import { verifyClientAssertion } from './client-assertion.ts'
import type { AuthenticatedClient } from './grant.ts'
import { OAuthError } from './oauth-error.ts'

/** The same answer for an unknown client and a wrong secret: it says which clients exist otherwise. */
const WRONG_SECRET = 'client authentication failed: unknown client or wrong secret'

/**
 * Who is calling an OAuth endpoint (RFC 6749 §2.3): `client_secret_basic` (the Authorization
 * header), `client_secret_post` (client_id and client_secret in the form) or `private_key_jwt`
 * (RFC 7523 §2.2: a client_assertion signed by one of the client's registered keys). Exactly one
 * method: §2.3 forbids more than one in a request. Every failure is `invalid_client` (401) saying
 * what was wrong; a secret is never echoed.
 */
export async function authenticateClient(
  c: Context<ServerEnv>,
  params: ReadonlyMap<string, string>,
  context: FactoryContext,
): Promise<AuthenticatedClient> {
  const authorization = c.req.header('authorization')
  const basic = authorization !== undefined && /^basic(\s|$)/i.test(authorization.trim())
  const post = params.has('client_secret')
  const assertion = params.has('client_assertion') || params.has('client_assertion_type')
  const methods = [basic, post, assertion].filter(Boolean).length
  if (methods > 1) {
    throw new OAuthError(
      'invalid_request',
      'use one client authentication method, not several (RFC 6749 §2.3)',
    )
  }
  if (authorization !== undefined && !basic) {
    throw new OAuthError('invalid_client', 'the Authorization header must use the Basic scheme')
  }
  if (basic) {
    const { id, secret } = basicClient(authorization)
    const sent = params.get('client_id')
    if (sent !== undefined && sent !== id)
      throw new OAuthError('invalid_client', 'client_id differs from the Authorization header')
    await checkSecret(c, context, id, secret)
    return { id, method: 'client_secret_basic' }
  }
  if (post) {
    const id = params.get('client_id')
    if (id === undefined)
      throw new OAuthError('invalid_client', 'client_secret needs client_id beside it')
    await checkSecret(c, context, id, params.get('client_secret')!)
    return { id, method: 'client_secret_post' }
  }
  if (assertion) {
    const endpoint = `${context.config.publicUrl}${c.req.path}`
    const id = await verifyClientAssertion(params, endpoint, context)
    return { id, method: 'private_key_jwt' }
  }
  throw new OAuthError(
    'invalid_client',
    'no client authentication: use HTTP Basic, client_id with client_secret, or a client_assertion',
  )
}

/**
 * RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are put into the Basic
 * credential, so `%3A` is a colon inside the id, and `+` a space.
 */
function basicClient(header: string): { id: string; secret: string } {
  let name: string
  let password: string
  try {
    ;({ name, password } = parseBasicCredentials(header))
  } catch (err) {
    if (err instanceof HttpError) throw new OAuthError('invalid_client', err.message)
    throw err
  }
  try {
    return { id: formDecode(name), secret: formDecode(password) }
  } catch {
    throw new OAuthError(
      'invalid_client',
      'Basic credentials must be form-urlencoded (RFC 6749 §2.3.1)',
    )
  }
}

const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))

/**
 * One scrypt run whoever asks (an unknown client, a client with keys and a wrong secret alike),
 * and none for a secret already verified (client-secret-check.ts); failures throttled.
 */
async function checkSecret(
  c: Context<ServerEnv>,
  context: FactoryContext,
  id: string,
  secret: string,
): Promise<void> {
  const stored = context.clients.get(id)?.record.secret
  if (!(await context.clientSecrets.matches(id, secret, stored, clientAddress(c))))
    throw new OAuthError('invalid_client', WRONG_SECRET)
}
