import { randomBytes, webcrypto } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { ensureCertificates, loadTlsFiles } from '@jwt-factory/tls'
import * as client from 'openid-client'
import { freePort, makeTempDir, startFactory, type FactoryProcess } from './factory-process.ts'
import { runFactoryCli, runUsersCli } from './users-cli-process.ts'

/**
 * The real factory as a child process over HTTPS with its own project CA, as an outside team
 * would meet it: reached at https://localhost:<port> (PUBLIC_URL), its clients and its user added
 * with `npm run clients` and `npm run users` before it starts. The OAuth libraries reach it
 * through `customFetch`: undici with the CA as the only root, verification on.
 */
export interface InteropFactory {
  readonly process: FactoryProcess
  /** The service issuer (= PUBLIC_URL) and the user issuer. */
  readonly serviceIssuer: string
  readonly userIssuer: string
  /** For openid-client's and oauth4webapi's `[customFetch]`. */
  readonly fetch: client.CustomFetch
  readonly http: HttpClient
  /** The refusals (status ≥ 400) the factory answered so far, for a failing test's report. */
  readonly refusals: string[]
  readonly secrets: Readonly<Record<SecretClient, string>>
  /** The private_key_jwt client: its name and its ES256 private key (the factory has the public). */
  readonly keyClient: { readonly name: string; readonly key: client.PrivateKey }
}

export type SecretClient = 'servicea' | 'serviceb' | 'servicec'
export const KEY_CLIENT = 'interop-keys'
export const USER = { name: 'alice', password: 'alice-interop-password', role: 'admin' }

/**
 * A generated secret with the characters RFC 6749 §2.3.1 makes client_secret_basic form-encode
 * (`+`, `/`, `=`, a space): a server that base64-decodes the header without form-decoding the
 * parts refuses it.
 */
const newSecret = () => `${randomBytes(24).toString('base64url')} +/=`

/** An ES256 key pair: the private key stays here, the public one goes to the clients file. */
async function newClientKey(jwksFile: string): Promise<client.PrivateKey> {
  const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair
  const kid = 'interop-key-1'
  const publicJwk = await webcrypto.subtle.exportKey('jwk', pair.publicKey)
  await writeFile(jwksFile, JSON.stringify({ keys: [{ ...publicJwk, kid, alg: 'ES256' }] }))
  return { key: pair.privateKey, kid }
}

/** One CLI run that must succeed. */
async function run(result: Promise<{ code: number | null; stderr: string }>, what: string) {
  const { code, stderr } = await result
  if (code !== 0) throw new Error(`${what}: exit ${code}: ${stderr}`)
}

export async function startInteropFactory(): Promise<InteropFactory> {
  const dir = await makeTempDir('jwt-factory-oauth-interop-')
  const certsDir = join(dir, 'certs')
  const clientsFile = join(dir, 'clients.json')
  const jwksFile = join(dir, `${KEY_CLIENT}.jwks.json`)
  const keysDir = join(dir, 'keys')
  const secrets = { servicea: newSecret(), serviceb: newSecret(), servicec: newSecret() }
  const [key] = await Promise.all([newClientKey(jwksFile), ensureCertificates(certsDir)])
  const clients = (args: string[], stdin = '') => runFactoryCli('clients', clientsFile, args, stdin)
  await Promise.all([
    ...Object.entries(secrets).map(([name, secret]) =>
      run(clients(['add', name], `${secret}\n`), `clients add ${name}`),
    ),
    run(clients(['add', KEY_CLIENT, '--jwks', jwksFile]), `clients add ${KEY_CLIENT}`),
    // factory-process.ts points USERS_FILE beside the keys folder.
    run(
      runUsersCli(
        join(dir, 'users.json'),
        ['add', USER.name, '--role', USER.role],
        `${USER.password}\n`,
      ),
      'users add',
    ),
  ])
  const { caPem } = await loadTlsFiles(certsDir)
  const httpsPort = await freePort()
  const serviceIssuer = `https://localhost:${httpsPort}`
  const process = await startFactory({
    keysDir,
    env: {
      CERTS_DIR: certsDir,
      HTTPS_PORT: String(httpsPort),
      PUBLIC_URL: serviceIssuer,
      CLIENTS_FILE: clientsFile,
      REVOCATIONS_FILE: join(dir, 'revocations.json'),
    },
  })
  const http = createHttpClient({ caPem, timeoutMs: 10_000 })
  const refusals: string[] = []
  const recordingFetch: client.CustomFetch = async (url, options) => {
    const res = await http.fetch(url, options)
    if (res.status >= 400)
      refusals.push(`${options.method} ${url}: ${res.status} ${await res.clone().text()}`)
    return res
  }
  return {
    process,
    serviceIssuer,
    userIssuer: `${serviceIssuer}/users`,
    fetch: recordingFetch,
    http,
    refusals,
    secrets,
    keyClient: { name: KEY_CLIENT, key },
  }
}

/** openid-client's Configuration for `clientId` at `issuer`, found by discovery. */
export function discover(
  factory: InteropFactory,
  issuer: string,
  clientId: string,
  auth: client.ClientAuth,
  options: { algorithm?: 'oidc' | 'oauth2'; fetch?: client.CustomFetch } = {},
): Promise<client.Configuration> {
  return client.discovery(new URL(issuer), clientId, undefined, auth, {
    [client.customFetch]: options.fetch ?? factory.fetch,
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
  })
}

/** A secret client's Configuration with client_secret_basic (or client_secret_post). */
export function secretClient(
  factory: InteropFactory,
  name: SecretClient,
  issuer = factory.serviceIssuer,
  method: 'basic' | 'post' = 'basic',
): Promise<client.Configuration> {
  const secret = factory.secrets[name]
  const auth =
    method === 'basic' ? client.ClientSecretBasic(secret) : client.ClientSecretPost(secret)
  return discover(factory, issuer, name, auth)
}

/** POST /login over HTTPS: a user access token for `audience`. */
export async function loginUser(factory: InteropFactory, audience: string): Promise<string> {
  const res = await factory.http.fetch(`${factory.serviceIssuer}/login`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${USER.name}:${USER.password}`).toString('base64')}`,
      'x-audience': audience,
    },
  })
  const body = (await res.json()) as { access_token?: string }
  if (res.status !== 200 || !body.access_token)
    throw new Error(`login: ${res.status} ${JSON.stringify(body)}`)
  return body.access_token
}

/** The factory's own verdict on a service token: POST /verify/<keyId>. */
export async function verifyAtFactory(
  factory: InteropFactory,
  keyId: string,
  token: string,
  aud: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await factory.http.fetch(`${factory.serviceIssuer}/verify/${keyId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, aud, sub: keyId }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** A form POST straight to an endpoint, as no library would send it (replays, raw answers). */
export async function postForm(
  factory: InteropFactory,
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await factory.http.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : {} }
}
