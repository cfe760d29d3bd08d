import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  generateSigningKey,
  remoteKeys,
  toJwks,
  type RemoteKeysOptions,
  type SigningKey,
} from '@jwt-factory/jwt'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import {
  createCertificateAuthority,
  ensureCertificates,
  issueServerCertificate,
  loadTlsFiles,
  type TlsFiles,
} from '@jwt-factory/tls'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { protectedApp, userToken } from './test-support.ts'

/**
 * requireAuth with keys from a JWKS served over real HTTPS, with the project's own CA (as
 * `npm run certs` writes it) and the one HTTPS client; loopback only.
 */
let dir: string
let tls: TlsFiles
let client: HttpClient
let first: SigningKey
let second: SigningKey

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hono-auth-jwks-'))
  await ensureCertificates(dir)
  tls = await loadTlsFiles(dir)
  client = createHttpClient({ caPem: tls.caPem })
  ;[first, second] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')])
})

afterAll(async () => {
  await client?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

interface JwksServer {
  url: string
  /** GET requests for the JWKS the server received. */
  readonly requests: number
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A real HTTPS server on 127.0.0.1 and a free port, closed when the test finishes. */
async function serve(handler: Handler, cert = tls): Promise<JwksServer> {
  let requests = 0
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    requests++
    handler(req, res)
  })
  // A client refusing the certificate is what one test expects; keep it off the output.
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests
    },
  }
}

/** A loopback URL nothing listens on: a port just freed. */
async function refusingUrl(): Promise<string> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `https://127.0.0.1:${port}/.well-known/jwks.json`
}

/** Serves whatever `published()` holds at the time of each request. */
function jwksHandler(published: () => SigningKey[]) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
    res.end(JSON.stringify(toJwks(published())))
  }
}

function jwksKeys(url: string, options: Partial<RemoteKeysOptions> = {}) {
  return remoteKeys(url, { algorithms: ['ES256'], fetch: client.fetch, ...options })
}

/** The token was never judged: the hop that serves the keys is named, as for any hop. */
const unavailable = (url: string, timedOut = false) => ({
  error: {
    name: timedOut ? 'GatewayTimeoutError' : 'BadGatewayError',
    code: timedOut ? 'ERR_GATEWAY_TIMEOUT' : 'ERR_BAD_GATEWAY',
    message: `servicea cannot check the token: signing keys unavailable: the JWKS at ${url}`,
    hop: new URL(url).host,
  },
})

describe('requireAuth with a JWKS over HTTPS', () => {
  it('fetches the JWKS once for many requests, concurrent ones included', async () => {
    const jwks = await serve(jwksHandler(() => [first]))
    const guarded = protectedApp({ keys: jwksKeys(jwks.url) })
    const token = await userToken(first)
    const answers = await Promise.all(Array.from({ length: 20 }, () => guarded.bearer(token)))
    for (let i = 0; i < 20; i++) {
      answers.push(await guarded.bearer(await userToken(first, { sub: `user${i}` })))
    }
    expect(answers.map((res) => res.status)).toEqual(Array(40).fill(200))
    expect(guarded.calls).toBe(40)
    expect(jwks.requests).toBe(1)
  })

  it('tokens naming unknown kids do not make it refetch within the cooldown', async () => {
    const jwks = await serve(jwksHandler(() => [first]))
    const guarded = protectedApp({ keys: jwksKeys(jwks.url, { cooldownMs: 60_000 }) })
    expect((await guarded.bearer(await userToken(first))).status).toBe(200)
    for (let i = 0; i < 10; i++) {
      const res = await guarded.bearer(await userToken(second))
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: { code: 'ERR_JWKS_NO_MATCHING_KEY' } })
    }
    expect(jwks.requests).toBe(1)
    expect(guarded.calls).toBe(1)
  })

  it('picks up a rotated key (a new kid published) by refetching on the unknown kid', async () => {
    let published = [first]
    const jwks = await serve(jwksHandler(() => published))
    const guarded = protectedApp({ keys: jwksKeys(jwks.url, { cooldownMs: 0 }) })
    expect((await guarded.bearer(await userToken(first))).status).toBe(200)
    expect(jwks.requests).toBe(1)

    published = [second, first] // the factory rotates: new active key, old one still published
    const res = await guarded.bearer(await userToken(second))
    expect(res.status).toBe(200)
    expect(jwks.requests).toBe(2)
    // Both kids are now cached: neither makes it fetch again.
    for (const key of [first, second, second, first]) {
      expect((await guarded.bearer(await userToken(key))).status).toBe(200)
    }
    expect(jwks.requests).toBe(2)
    expect(guarded.calls).toBe(6)
  })

  it('a JWKS server that accepts but never answers: 504 naming it after the timeout, not 401', async () => {
    const jwks = await serve(() => {}) // reads the request, never writes a response
    const guarded = protectedApp({ keys: jwksKeys(jwks.url, { timeoutMs: 200 }) })
    const res = await guarded.bearer(await userToken(first))
    expect(res.status).toBe(504)
    expect(res.headers.get('www-authenticate')).toBeNull()
    expect(await res.json()).toEqual(unavailable(jwks.url, true))
    expect(jwks.requests).toBe(1)
    expect(guarded.calls).toBe(0)
  })

  it('a JWKS server answering 500: 502 naming it', async () => {
    const jwks = await serve((_req, res) => res.writeHead(500).end('boom'))
    const guarded = protectedApp({ keys: jwksKeys(jwks.url) })
    const res = await guarded.bearer(await userToken(first))
    expect(res.status).toBe(502)
    expect(await res.json()).toEqual(unavailable(jwks.url))
    expect(guarded.calls).toBe(0)
  })

  it('a JWKS server answering something that is not JSON: 502', async () => {
    const jwks = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>')
    })
    const guarded = protectedApp({ keys: jwksKeys(jwks.url) })
    expect((await guarded.bearer(await userToken(first))).status).toBe(502)
  })

  it('a JWKS server that is down (connection refused): 502', async () => {
    const guarded = protectedApp({ keys: jwksKeys(await refusingUrl()) })
    expect((await guarded.bearer(await userToken(first))).status).toBe(502)
    expect(guarded.calls).toBe(0)
  })

  it('a JWKS server with a certificate from another CA: 502, its keys never trusted', async () => {
    const foreignCa = await createCertificateAuthority({ commonName: 'other CA', validityDays: 1 })
    const foreign = await issueServerCertificate(foreignCa, { validityDays: 1 })
    const cert = { ...tls, certPem: foreign.certPem, keyPem: foreign.keyPem }
    const jwks = await serve(
      jwksHandler(() => [first]),
      cert,
    )
    const guarded = protectedApp({ keys: jwksKeys(jwks.url) })
    expect((await guarded.bearer(await userToken(first))).status).toBe(502)
    expect(jwks.requests).toBe(0)
    expect(guarded.calls).toBe(0)
  })

  it('a token in an algorithm not pinned: refused whatever the JWKS publishes', async () => {
    const rsa = await generateSigningKey('RS256')
    const jwks = await serve(jwksHandler(() => [rsa]))
    const guarded = protectedApp({ keys: jwksKeys(jwks.url, { algorithms: ['ES256'] }) })
    const res = await guarded.bearer(await userToken(rsa))
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: { message: 'invalid algorithm' } })
  })
})
