import type { ServerOptions } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import {
  createCertificateAuthority,
  issueServerCertificate,
  type CertificateAndKey,
} from '@jwt-factory/tls'
import { sendJson, startHttpsServer, type TestHandler } from '../test/https-test-server.ts'
import { createHttpClient, type HttpClient } from './http-client.ts'

/**
 * Certificates from @jwt-factory/tls's CA, as `npm run certs` makes them; two server certificates
 * valid for 127.0.0.1 that differ by their CN, so an answer shows which one its connection had.
 */
let ca: CertificateAndKey
let localhostTls: ServerOptions
let addressTls: ServerOptions

beforeAll(async () => {
  ca = await createCertificateAuthority({ commonName: 'jwt-factory test CA', validityDays: 2 })
  const localhost = await issueServerCertificate(ca, { validityDays: 1 }) // CN localhost
  localhostTls = { cert: localhost.certPem, key: localhost.keyPem }
  const address = await issueServerCertificate(ca, { hosts: ['127.0.0.1'], validityDays: 1 })
  addressTls = { cert: address.certPem, key: address.keyPem }
})

function client(): HttpClient {
  const created = createHttpClient({ caPem: ca.certPem })
  onTestFinished(() => created.close())
  return created
}

async function server(tls: ServerOptions, handler: TestHandler) {
  const started = await startHttpsServer(tls, '127.0.0.1', handler)
  onTestFinished(() => started.close())
  return started
}

/** Which of the server's connections answered, counted in the order they were accepted. */
function connectionNumbers(): TestHandler {
  const numbers = new WeakMap<TLSSocket, number>()
  let accepted = 0
  return (req, res) => {
    const socket = req.socket as TLSSocket
    if (!numbers.has(socket)) numbers.set(socket, ++accepted)
    sendJson(res, 200, { connection: numbers.get(socket) })
  }
}

describe('requestJson names the TLS peer', () => {
  it("gives the subject CN of the server's certificate and the CN of the CA that issued it", async () => {
    const hop = await server(localhostTls, connectionNumbers())
    const answer = await client().requestJson('serviceb', `${hop.url}/`)
    expect(answer.tls).toEqual({ peer: 'localhost', ca: 'jwt-factory test CA' })
  })

  it('names the certificate of the connection that carried each answer, not the newest one', async () => {
    const numbered = connectionNumbers()
    // The first two requests are held until both arrived: the second needs a connection of its own.
    const held: (() => void)[] = []
    const hop = await server(localhostTls, (req, res) => {
      if (req.url !== '/held') return numbered(req, res)
      held.push(() => numbered(req, res))
      if (held.length === 2) held.splice(0).forEach((answer) => answer())
    })
    const http = client()
    const first = await http.requestJson('serviceb', `${hop.url}/`)
    expect(first).toMatchObject({ body: { connection: 1 }, tls: { peer: 'localhost' } })
    // The server changes its certificate: connection 1 keeps the one it was opened with.
    hop.server.setSecureContext(addressTls)
    await new Promise<void>((resolve) => setImmediate(resolve)) // connection 1 back in the pool
    const answers = await Promise.all([
      http.requestJson('serviceb', `${hop.url}/held`),
      http.requestJson('serviceb', `${hop.url}/held`),
    ])
    const byConnection = Object.fromEntries(
      answers.map((a) => [(a.body as { connection: number }).connection, a.tls?.peer]),
    )
    expect(byConnection).toEqual({ 1: 'localhost', 2: '127.0.0.1' })
    // Both idle now; the pool hands out its first connection again, opened before the newest.
    await new Promise<void>((resolve) => setImmediate(resolve))
    const again = await http.requestJson('serviceb', `${hop.url}/`)
    expect(again).toMatchObject({ body: { connection: 1 }, tls: { peer: 'localhost' } })
    expect(hop.secureConnections).toBe(2)
  })

  it('names it on every new connection: none resumes a session, which would show no certificate', async () => {
    let resumed = 0
    const hop = await server(localhostTls, (req, res) => {
      if ((req.socket as TLSSocket).isSessionReused()) resumed++
      res.setHeader('connection', 'close') // every request on a new connection
      sendJson(res, 200, {})
    })
    const http = client()
    for (let i = 0; i < 3; i++) {
      const answer = await http.requestJson('serviceb', `${hop.url}/`)
      expect(answer.tls).toEqual({ peer: 'localhost', ca: 'jwt-factory test CA' })
    }
    expect(hop.secureConnections).toBe(3)
    expect(resumed).toBe(0)
  })

  it('fetch (for jose) goes over the same agent and is unchanged', async () => {
    const hop = await server(localhostTls, connectionNumbers())
    const response = await client().fetch(`${hop.url}/`)
    expect(await response.json()).toEqual({ connection: 1 })
  })
})
