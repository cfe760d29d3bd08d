import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bearerChallenge } from '@jwt-factory/hono-auth'
import { silentLogger } from '@jwt-factory/server'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { ensureCertificates, loadTlsFiles } from '@jwt-factory/tls'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createServiceApp, loadConfig, Scenario3Keys } from '../src/index.ts'

/**
 * When servicea asks for a new token and calls again, and when it does not: servicea in-process,
 * its factory and serviceb one real HTTPS server (the project's CA) that issues numbered tokens
 * and answers /scenario1-server as each test says, recording every request it gets.
 */
interface PeerAnswer {
  status: number
  challenge?: string
  body: unknown
}

const REFUSED: PeerAnswer = {
  status: 403,
  challenge: bearerChallenge({
    realm: 'serviceb',
    error: 'invalid_token',
    description: 'no key matches the token',
  }),
  body: { message: 'invalid token', valid: false, error: { name: 'JsonWebTokenError' } },
}

const ACCEPTED: PeerAnswer = { status: 200, body: { valid: true, claims: { sub: 'servicea' } } }

let dir: string
let http: HttpClient
let peer: Server
let app: ReturnType<typeof createServiceApp>
let answer: PeerAnswer = REFUSED
let issued = 0
let seen: string[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'service-token-retry-'))
  const certsDir = join(dir, 'certs')
  await ensureCertificates(certsDir)
  const tls = await loadTlsFiles(certsDir)
  peer = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    req.resume()
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    if (req.url?.startsWith('/issueToken/servicea')) {
      seen.push('issue')
      issued++
      return json(200, {
        access_token: `token-${issued}`,
        expire_time: Math.floor(Date.now() / 1000) + 3600,
      })
    }
    seen.push(`${req.url} with ${req.headers.authorization?.replace('Bearer ', '')}`)
    const { status, challenge, body } = answer
    json(status, body, challenge ? { 'www-authenticate': challenge } : {})
  })
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(peer.address() as { port: number }).port}`
  http = createHttpClient({ caPem: tls.caPem, timeoutMs: 2000 })
  const logger = silentLogger()
  const config = loadConfig(
    {
      SERVICE_NAME: 'servicea',
      FACTORY_URL: url,
      SERVICEB_URL: url,
      SERVICEC_URL: url,
      CERTS_DIR: certsDir,
      SCENARIO3_KEYS_DIR: join(dir, 'scenario-3-keys'),
      LOG_LEVEL: 'silent',
    },
    dir,
  )
  const keysDir = config.scenario3.keysDir
  const scenario3 = await Scenario3Keys.open({
    dir: keysDir,
    algorithm: 'ES256',
    logger,
    signer: true,
  })
  app = createServiceApp(config, { http, logger, scenario3 })
})

afterAll(async () => {
  await http?.close()
  peer?.closeAllConnections()
  await new Promise((resolve) => peer?.close(resolve))
  if (dir) await rm(dir, { recursive: true, force: true })
})

beforeEach(() => {
  answer = REFUSED
  seen = []
})

const scenario1 = async (query = '') => {
  const res = await app.request(`/scenario1${query}`)
  return { status: res.status, body: await res.json() }
}

describe('servicea replaces a refused token only when it came from the cache, and only once', () => {
  it('a token issued for this call and refused is the answer: a new one would fare no better', async () => {
    const { status, body } = await scenario1()
    expect(status).toBe(403)
    expect(body).toEqual(REFUSED.body)
    expect(seen).toEqual(['issue', `/scenario1-server with token-${issued}`])
  })

  it('a cached token refused is replaced once; when the new one is refused too, that is the answer', async () => {
    const cached = issued
    const { status, body } = await scenario1()
    expect(status).toBe(403)
    expect(body).toEqual(REFUSED.body)
    expect(seen).toEqual([
      `/scenario1-server with token-${cached}`,
      'issue',
      `/scenario1-server with token-${cached + 1}`,
    ])
  })

  it('?fresh=1 and ?expired=1 ask the factory for this call: their refusal is not retried', async () => {
    for (const query of ['?fresh=1', '?expired=1']) {
      seen = []
      expect((await scenario1(query)).status).toBe(403)
      expect(seen).toEqual(['issue', `/scenario1-server with token-${issued}`])
    }
  })

  it('a refusal that is not of the token is answered as it is, with the cached token kept', async () => {
    const refusals: PeerAnswer[] = [
      {
        status: 403,
        challenge: bearerChallenge({
          realm: 'serviceb',
          error: 'insufficient_scope',
          description: 'needs app-view',
          scope: 'app-view',
        }),
        body: { message: 'permission app-view required' },
      },
      { status: 401, challenge: bearerChallenge({ realm: 'serviceb' }), body: { message: 'no' } },
      { status: 403, body: { message: 'a 403 without a challenge' } },
      { status: 500, challenge: REFUSED.challenge!, body: { message: 'broken' } },
    ]
    answer = ACCEPTED
    expect((await scenario1('?fresh=1')).status).toBe(200)
    const cached = issued
    for (const refusal of refusals) {
      answer = refusal
      seen = []
      const { status, body } = await scenario1()
      expect(status).toBe(refusal.status)
      expect(body).toEqual(refusal.body)
      expect(seen).toEqual([`/scenario1-server with token-${cached}`])
    }
    answer = ACCEPTED
    expect((await scenario1()).status).toBe(200)
    expect(issued).toBe(cached)
  })
})
