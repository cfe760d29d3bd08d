import { createServer } from 'node:http'
import type { ServerOptions } from 'node:https'
import type { AddressInfo } from 'node:net'
import { BadGatewayError, GatewayTimeoutError } from '@jwt-factory/server'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import {
  closedPort,
  sendJson,
  startHttpsServer,
  type TestHandler,
} from '../test/https-test-server.ts'
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  type CertificateAndKey,
} from '@jwt-factory/tls'
import { createHttpClient, type HttpClient, type HttpClientOptions } from './http-client.ts'
import { isNoAnswer, toHopError } from './hop-error.ts'

let ca: CertificateAndKey
let serverTls: ServerOptions
let foreignTls: ServerOptions
let wrongHostTls: ServerOptions
let clientCert: CertificateAndKey

beforeAll(async () => {
  ca = await createCertificateAuthority({ commonName: 'test CA', validityDays: 2 })
  const server = await issueServerCertificate(ca, { validityDays: 1 })
  serverTls = { cert: server.certPem, key: server.keyPem }
  // Same subject names, same hosts, but another root: must be refused.
  const foreignCa = await createCertificateAuthority({ commonName: 'test CA', validityDays: 2 })
  const foreign = await issueServerCertificate(foreignCa, { validityDays: 1 })
  foreignTls = { cert: foreign.certPem, key: foreign.keyPem }
  const wrongHost = await issueServerCertificate(ca, { hosts: ['example.test'], validityDays: 1 })
  wrongHostTls = { cert: wrongHost.certPem, key: wrongHost.keyPem }
  clientCert = await issueClientCertificate(ca, { commonName: 'servicea', validityDays: 1 })
})

function client(options: Partial<HttpClientOptions> = {}): HttpClient {
  const created = createHttpClient({ caPem: ca.certPem, ...options })
  onTestFinished(() => created.close())
  return created
}

async function server(tls: ServerOptions, handler: TestHandler, host = '127.0.0.1') {
  const started = await startHttpsServer(tls, host, handler)
  onTestFinished(() => started.close())
  return started
}

/** Answers with what it received, so the test sees the request as the server saw it. */
const echo: TestHandler = (req, res) => {
  let text = ''
  req.setEncoding('utf8')
  req.on('data', (chunk: string) => (text += chunk))
  req.on('end', () =>
    sendJson(res, 200, {
      method: req.method,
      path: req.url,
      accept: req.headers.accept ?? null,
      contentType: req.headers['content-type'] ?? null,
      body: text === '' ? null : (JSON.parse(text) as unknown),
    }),
  )
}

/**
 * undici hands a socket back to the pool one event-loop turn after a response ends (it waits to
 * see whether the server closes it anyway); a request sent in between opens a second socket.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Runs the promise and returns what it rejected with, failing the test if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (err: unknown) => err,
  )
}

describe('requestJson over real TLS', () => {
  it('GETs JSON from an IPv4 server whose certificate the CA signed', async () => {
    const hop = await server(serverTls, echo)
    const response = await client().requestJson('jwt-factory', `${hop.url}/jwks?x=1`)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/json')
    expect(response.body).toEqual({
      method: 'GET',
      path: '/jwks?x=1',
      accept: 'application/json',
      contentType: null,
      body: null,
    })
  })

  it('POSTs an object as JSON', async () => {
    const hop = await server(serverTls, echo)
    const response = await client().requestJson('jwt-factory', `${hop.url}/tokens`, {
      body: { sub: 'servicea', scope: ['read'] },
      headers: { Authorization: 'Bearer x' },
    })
    expect(response.body).toMatchObject({
      method: 'POST',
      contentType: 'application/json',
      body: { sub: 'servicea', scope: ['read'] },
    })
  })

  it('POSTs URLSearchParams as a form, as OAuth endpoints take it', async () => {
    const hop = await server(serverTls, (req, res) => {
      let text = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (text += chunk))
      req.on('end', () => sendJson(res, 200, { contentType: req.headers['content-type'], text }))
    })
    const body = new URLSearchParams({ grant_type: 'client_credentials', audience: 'a b&c' })
    const response = await client().requestJson('jwt-factory', `${hop.url}/token`, { body })
    expect(response.body).toEqual({
      contentType: 'application/x-www-form-urlencoded',
      text: 'grant_type=client_credentials&audience=a+b%26c',
    })
  })

  it('reaches an IPv6 server on ::1', async () => {
    const hop = await server(serverTls, echo, '::1')
    expect(hop.url).toMatch(/^https:\/\/\[::1\]:\d+$/)
    const response = await client().requestJson('serviceb', `${hop.url}/ping`, { method: 'PUT' })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ method: 'PUT', path: '/ping' })
  })

  it('returns error statuses as they are, with their JSON body', async () => {
    const hop = await server(serverTls, (_req, res) =>
      sendJson(res, 401, { error: { code: 'ERR_UNAUTHORIZED' } }),
    )
    const response = await client().requestJson('serviceb', hop.url)
    expect(response.status).toBe(401)
    expect(response.body).toEqual({ error: { code: 'ERR_UNAUTHORIZED' } })
  })

  it('gives null for an empty body', async () => {
    const hop = await server(serverTls, (_req, res) => res.writeHead(204).end())
    const response = await client().requestJson('serviceb', hop.url, { method: 'DELETE' })
    expect(response).toMatchObject({ status: 204, body: null })
  })

  it('reuses one keep-alive connection for sequential requests', async () => {
    const hop = await server(serverTls, echo)
    const http = client()
    for (let i = 0; i < 5; i++) {
      const response = await http.requestJson('serviceb', `${hop.url}/${i}`)
      expect(response.body).toMatchObject({ path: `/${i}` })
      await nextTurn()
    }
    expect(hop.connections).toBe(1)
    expect(hop.secureConnections).toBe(1)
  })

  it('still reuses the connection after a body that is not JSON', async () => {
    const hop = await server(serverTls, (req, res) => {
      if (req.url === '/text') res.writeHead(200, { 'content-type': 'text/plain' }).end('hello')
      else sendJson(res, 200, { ok: true })
    })
    const http = client()
    const err = await rejection(http.requestJson('serviceb', `${hop.url}/text`))
    expect(err).toBeInstanceOf(BadGatewayError)
    expect(err).toMatchObject({
      hop: 'serviceb',
      status: 502,
      message: 'serviceb answered 200 with a body that is not JSON',
    })
    await nextTurn()
    expect((await http.requestJson('serviceb', `${hop.url}/json`)).body).toEqual({ ok: true })
    expect(hop.connections).toBe(1)
  })
})

describe('requestJson failures, translated once', () => {
  it('refuses a server whose certificate another CA issued', async () => {
    let reached = false
    const hop = await server(foreignTls, (req, res) => {
      reached = true
      echo(req, res)
    })
    const err = await rejection(client().requestJson('jwt-factory', hop.url))
    expect(err).toBeInstanceOf(BadGatewayError)
    expect(err).toMatchObject({ hop: 'jwt-factory', status: 502, code: 'ERR_BAD_GATEWAY' })
    expect((err as Error).message).toMatch(
      /^jwt-factory is unreachable: certificate not trusted \(/,
    )
    expect(reached).toBe(false)
  })

  it('refuses a certificate from the right CA that does not name the host', async () => {
    const hop = await server(wrongHostTls, echo)
    const err = await rejection(client().requestJson('serviceb', hop.url))
    expect(err).toBeInstanceOf(BadGatewayError)
    expect((err as Error).message).toBe(
      'serviceb is unreachable: certificate does not match the host name',
    )
  })

  it('turns a refused connection into a 502 naming the hop', async () => {
    const port = await closedPort()
    const err = await rejection(client().requestJson('servicec', `https://127.0.0.1:${port}/`))
    expect(err).toBeInstanceOf(BadGatewayError)
    expect(err).toMatchObject({
      hop: 'servicec',
      message: 'servicec is unreachable: connection refused',
    })
  })

  it("marks the errors it makes as the hop's silence, never one the hop answered", async () => {
    const port = await closedPort()
    const refused = await rejection(client().requestJson('servicec', `https://127.0.0.1:${port}/`))
    expect(isNoAnswer(refused)).toBe(true)
    // An HttpError passed through (a hop's own answer, mapped by a caller) is not its silence.
    const answered = new BadGatewayError('servicec', 'servicec answered 502')
    expect(isNoAnswer(toHopError('servicec', answered, 1000))).toBe(false)
    expect(isNoAnswer(new Error('x'))).toBe(false)
  })

  it('turns a server that closes mid-body into a 502', async () => {
    const hop = await server(serverTls, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"partial":')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const err = await rejection(client().requestJson('serviceb', hop.url))
    expect(err).toBeInstanceOf(BadGatewayError)
    expect((err as Error).message).toMatch(/^serviceb is unreachable: /)
  })

  it('gives a 504 when a server accepts and never answers', async () => {
    const hop = await server(serverTls, () => {})
    const started = performance.now()
    const err = await rejection(client({ timeoutMs: 300 }).requestJson('slow-hop', hop.url))
    const elapsed = performance.now() - started
    expect(err).toBeInstanceOf(GatewayTimeoutError)
    expect(err).toMatchObject({
      hop: 'slow-hop',
      status: 504,
      message: 'slow-hop did not answer within 300 ms',
    })
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(hop.secureConnections).toBe(1)
  })

  it('lets one request use a shorter timeout than the client default', async () => {
    const hop = await server(serverTls, () => {})
    const err = await rejection(client().requestJson('slow-hop', hop.url, { timeoutMs: 150 }))
    expect(err).toBeInstanceOf(GatewayTimeoutError)
    expect((err as Error).message).toBe('slow-hop did not answer within 150 ms')
  })

  it('rejects a plain http:// URL as a programming error', async () => {
    await expect(client().requestJson('serviceb', 'http://127.0.0.1:1/')).rejects.toThrow(TypeError)
  })

  it('speaks plain HTTP only to the origins it was given (a mesh peer, its sidecar bringing the TLS)', async () => {
    const plain = createServer((req, res) => {
      if (req.url === '/refused') {
        res.writeHead(401, { 'content-type': 'text/plain' })
        return res.end('Jwt is expired')
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ path: req.url }))
    })
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => plain.close(() => resolve())))
    const origin = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`
    const meshClient = client({ plainHttpOrigins: [origin] })
    const answer = await meshClient.requestJson('serviceb', `${origin}/scenario1-server`)
    expect(answer).toMatchObject({ status: 200, body: { path: '/scenario1-server' } })
    expect(answer.tls).toBeUndefined()
    // A sidecar's own refusal is plain text: a 502 unless the caller accepts text.
    await expect(meshClient.requestJson('serviceb', `${origin}/refused`)).rejects.toThrow(
      BadGatewayError,
    )
    expect(
      await meshClient.requestJson('serviceb', `${origin}/refused`, { acceptText: true }),
    ).toMatchObject({ status: 401, body: null, text: 'Jwt is expired' })
    // Another port of the same host, or the same port by another name, is still refused.
    await expect(meshClient.requestJson('serviceb', 'http://127.0.0.1:1/')).rejects.toThrow(
      TypeError,
    )
    expect(() => meshClient.fetch(origin.replace('127.0.0.1', 'localhost'))).toThrow(TypeError)
    expect(() => client({ plainHttpOrigins: ['https://127.0.0.1:3001'] })).toThrow(TypeError)
    expect(() => client({ plainHttpOrigins: [`${origin}/path`] })).toThrow(TypeError)
  })
})

describe('client certificates (mutual TLS)', () => {
  const mtls = (): ServerOptions => ({
    ...serverTls,
    ca: ca.certPem,
    requestCert: true,
    rejectUnauthorized: true,
  })
  const whoAmI: TestHandler = (req, res) => {
    const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate()
    sendJson(res, 200, { cn: peer.subject?.CN ?? null })
  }

  it('presents the configured certificate', async () => {
    const hop = await server(mtls(), whoAmI)
    const response = await client({ clientCert }).requestJson('serviceb', hop.url)
    expect(response.body).toEqual({ cn: 'servicea' })
  })

  it('is refused by an mTLS server when it has none, as a 502', async () => {
    let reached = false
    const hop = await server(mtls(), (req, res) => {
      reached = true
      whoAmI(req, res)
    })
    const err = await rejection(client().requestJson('serviceb', hop.url))
    expect(err).toBeInstanceOf(BadGatewayError)
    expect((err as Error).message).toMatch(/^serviceb is unreachable: /)
    expect(reached).toBe(false)
  })
})

describe('fetch', () => {
  it('is undici fetch over the same agent, trusting the CA (as jose calls it)', async () => {
    const hop = await server(serverTls, echo)
    const http = client()
    const response = await http.fetch(`${hop.url}/.well-known/jwks.json`, {
      headers: new Headers({ accept: 'application/json' }),
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(2000),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      path: '/.well-known/jwks.json',
      accept: 'application/json',
    })
    await nextTurn()
    await http.requestJson('jwt-factory', hop.url)
    expect(hop.connections).toBe(1)
  })

  it('refuses a foreign certificate; toHopError names the reason', async () => {
    const hop = await server(foreignTls, echo)
    const err = await rejection(client().fetch(hop.url))
    const translated = toHopError('jwt-factory', err, 5000)
    expect(translated).toBeInstanceOf(BadGatewayError)
    expect(translated.message).toMatch(/^jwt-factory is unreachable: certificate not trusted/)
  })
})

describe('createHttpClient', () => {
  it('refuses bad options at creation', () => {
    expect(() => createHttpClient({ caPem: '' })).toThrow(TypeError)
    expect(() => createHttpClient({ caPem: ca.certPem, timeoutMs: 0 })).toThrow(TypeError)
    expect(() => createHttpClient({ caPem: ca.certPem, connections: 1.5 })).toThrow(TypeError)
    const halfCert = { certPem: clientCert.certPem, keyPem: '' }
    expect(() => createHttpClient({ caPem: ca.certPem, clientCert: halfCert })).toThrow(TypeError)
  })
})
