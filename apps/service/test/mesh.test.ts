import { silentLogger } from '@jwt-factory/server'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServiceApp, loadConfig, Scenario3Keys, type ServiceName } from '../src/index.ts'
import { Cluster, freePorts, getJson } from './cluster.ts'
import { requestFrom } from '@jwt-factory/server/testing'
import { SIDECAR_ADDRESS, startTestSidecar, type TestSidecar } from './test-sidecar.ts'

/**
 * The `?verify=mesh` lesson (docs/20-kubernetes.md) over real sockets. No Envoy runs here, so a
 * stand-in plays each peer's sidecar as Istio configures it (test-sidecar.ts): servicea calls it
 * on the peer's "mesh URL", it verifies the token against the factory's JWKS and hands serviceb
 * the payload in x-jwt-payload, exactly as Envoy writes it (any the caller sent removed first),
 * connecting from 127.0.0.6 as Istio's inbound cluster does; serviceb trusts that and checks the
 * rest. The refusals show what serviceb holds on its own: against requests that go around the
 * sidecar, and (with a stand-in that does not strip the header, which Envoy never is) where a
 * sidecar would let a forgery by.
 */
const HEADER = 'x-jwt-payload'
const PEERS = ['serviceb', 'servicec'] as const

let cluster: Cluster
const sidecars = {} as Record<(typeof PEERS)[number], TestSidecar>
let servicebHttps: string
/** A SIDECAR THAT DOES NOT STRIP the caller's header, for serviceb: defence in depth only. */
let leaky: TestSidecar

beforeAll(async () => {
  for (const peer of PEERS) {
    sidecars[peer] = await startTestSidecar({
      target: () => cluster.urls[peer],
      issuer: () => cluster.urls.factoryHttps,
      jwksUri: () => `${cluster.urls['jwt-factory']}/.well-known/jwks.json`,
      audiences: [peer],
      outputPayloadToHeader: HEADER,
    })
  }
  leaky = await startTestSidecar({
    target: () => cluster.urls.serviceb,
    issuer: () => cluster.urls.factoryHttps,
    jwksUri: () => `${cluster.urls['jwt-factory']}/.well-known/jwks.json`,
    audiences: ['serviceb'],
    outputPayloadToHeader: HEADER,
    stripsPayloadHeader: false,
  })
  // serviceb's HTTPS port chosen here, to show what it does with the header there.
  const [httpsPort] = (await freePorts(1)) as [number]
  servicebHttps = `https://localhost:${httpsPort}`
  cluster = await Cluster.start({
    env: {
      servicea: {
        SERVICEB_MESH_URL: sidecars.serviceb.url,
        SERVICEC_MESH_URL: sidecars.servicec.url,
        SERVICEB_URL: servicebHttps,
      },
      serviceb: { MESH_PAYLOAD_HEADER: HEADER, HTTPS_PORT: String(httpsPort) },
      servicec: { MESH_PAYLOAD_HEADER: HEADER },
    },
  })
})
afterAll(async () => {
  await cluster?.stop()
  await Promise.all([...Object.values(sidecars), leaky].map((s) => s?.close()))
})

const a = (path: string) => getJson(`${cluster.urls.servicea}${path}`)
const payloadOf = (token: string) => token.split('.')[1]!
const forgedPayload = (claims: object) => Buffer.from(JSON.stringify(claims)).toString('base64url')

/** A token from the factory, as anyone on this machine may ask for one. */
async function issue(keyId: ServiceName, aud: string, expired = false): Promise<string> {
  const res = await cluster.https.requestJson(
    'jwt-factory',
    `${cluster.urls.factoryHttps}/issueToken/${keyId}${expired ? '?expired=1' : ''}`,
    { body: { aud } },
  )
  expect(res.status).toBe(200)
  return (res.body as { access_token: string }).access_token
}

const SCENARIO1_MESH = '/scenario1-server?verify=mesh'

/** Through a stand-in sidecar (by default serviceb's), to serviceb's /scenario1-server?verify=mesh. */
const viaSidecar = (headers: Record<string, string>, sidecar = sidecars.serviceb) =>
  getJson(`${sidecar.url}${SCENARIO1_MESH}`, { headers })

/**
 * Straight to serviceb's plain HTTP port from `localAddress`: by default the sidecar's own
 * (127.0.0.6), as if a sidecar had passed the request on; 127.0.0.1 is a `kubectl port-forward`.
 */
const toServiceb = (headers: Record<string, string | string[]>, localAddress = SIDECAR_ADDRESS) =>
  requestFrom({
    port: Number(new URL(cluster.urls.serviceb).port),
    path: SCENARIO1_MESH,
    headers: headers as Record<string, string>,
    localAddress,
  }) as Promise<{ status: number; body: any }>

describe('?verify=mesh: the sidecar verifies, serviceb trusts it', () => {
  it("scenario 1: serviceb's sidecar verified the token and serviceb accepts the claims it was handed", async () => {
    const before = sidecars.serviceb.seen.verified
    const { status, body } = await a('/scenario1?verify=mesh')
    expect(status, JSON.stringify(body)).toBe(200)
    expect(body).toEqual({
      valid: true,
      claims: expect.objectContaining({
        iss: cluster.urls.factoryHttps,
        sub: 'servicea',
        aud: 'serviceb',
      }),
    })
    expect(sidecars.serviceb.seen.verified).toBe(before + 1)
  })

  it('the trace: signature by the mesh, sub and typ by serviceb, iss and exp by both; no call to the factory to verify', async () => {
    const { status, body } = await a('/scenario1?verify=mesh&trace=1')
    expect(status).toBe(200)
    const spans = body.trace as { kind: string; from: string; call: string; verification?: any }[]
    expect(spans.map((s) => s.call)).not.toContain('POST /verify/servicea')
    const verify = spans.find((s) => s.kind === 'verify' && s.from === 'serviceb')!
    expect(verify.call).toMatch(/signature was verified by serviceb's sidecar/)
    const by = Object.fromEntries(
      verify.verification.checks.map((c: { name: string; by?: string[] }) => [c.name, c.by]),
    )
    expect(by).toMatchObject({
      signature: ['mesh'],
      typ: undefined,
      sub: undefined,
      iss: ['mesh', 'serviceb'],
      exp: ['mesh', 'serviceb'],
    })
    expect(verify.verification.checks.every((c: any) => c.status === 'passed')).toBe(true)
  })

  it("scenario 2: both peers' sidecars verify, both peers accept", async () => {
    const { status, body } = await a('/scenario2?verify=mesh')
    expect(status, JSON.stringify(body)).toBe(200)
    expect(body.serviceb).toMatchObject({ valid: true, claims: { aud: 'serviceb' } })
    expect(body.servicec).toMatchObject({ valid: true, claims: { aud: 'servicec' } })
  })

  it('an expired token: the sidecar refuses it in its own words (401), serviceb never sees it', async () => {
    const before = sidecars.serviceb.seen.refused
    const { status, body } = await a('/scenario1?verify=mesh&expired=1')
    expect(status).toBe(401)
    expect(body.error).toEqual({
      name: 'MeshRefusedError',
      code: 'ERR_MESH_REFUSED',
      message: "serviceb's sidecar answered 401: Jwt is expired",
    })
    expect(sidecars.serviceb.seen.refused).toBe(before + 1)
  })
})

describe('?verify=mesh: what serviceb refuses on its own', () => {
  const forgedClaims = () => {
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: cluster.urls.factoryHttps, sub: 'servicea', aud: 'serviceb' }
    return forgedPayload({ ...claims, iat: now, exp: now + 300 })
  }
  /** A token with the forged claims and a made-up signature: no sidecar would verify it. */
  const forgedToken = () => `${forgedPayload({ alg: 'ES256', typ: 'JWT' })}.${forgedClaims()}.AAAA`

  it('attack: a forged payload header with no token: the sidecar removes it and lets the request by → 401 no token', async () => {
    for (const sidecar of [sidecars.serviceb, leaky]) {
      const before = sidecar.seen.withoutToken
      const { status, body } = await viaSidecar({ [HEADER]: forgedClaims() }, sidecar)
      expect(sidecar.seen.withoutToken).toBe(before + 1)
      expect(status).toBe(401)
      expect(body).toMatchObject({ valid: false })
    }
  })

  it("attack: a forged header beside the caller's own valid token: the sidecar replaces it with the real payload → 403 (subject servicec)", async () => {
    // servicec's own token for serviceb verifies at the sidecar; the forged header says servicea.
    const token = await issue('servicec', 'serviceb')
    const headers = { authorization: `Bearer ${token}`, [HEADER]: forgedClaims() }
    const { status, body } = await viaSidecar(headers)
    expect(status).toBe(403)
    expect(body.error).toMatchObject({ message: 'jwt subject invalid. expected: servicea' })
  })

  it('attack: the same through a sidecar that does not strip: serviceb sees two values → 403 ERR_MESH_UNVERIFIED', async () => {
    const token = await issue('servicec', 'serviceb')
    const headers = { authorization: `Bearer ${token}`, [HEADER]: forgedClaims() }
    const { status, body } = await viaSidecar(headers, leaky)
    expect(status).toBe(403)
    expect(body.error).toMatchObject({
      code: 'ERR_MESH_UNVERIFIED',
      message: `not verified by the mesh: ${HEADER} is not the payload of the token it came with`,
    })
  })

  it("attack: kubectl port-forward (the pod's 127.0.0.1, around the sidecar) with a forged token and its matching header → 403 ERR_MESH_UNVERIFIED", async () => {
    const token = forgedToken()
    const headers = { authorization: `Bearer ${token}`, [HEADER]: payloadOf(token) }
    const { status, body } = await toServiceb(headers, '127.0.0.1')
    expect(status).toBe(403)
    expect(body.error).toMatchObject({
      code: 'ERR_MESH_UNVERIFIED',
      message:
        "not verified by the mesh: the connection comes from 127.0.0.1, not from serviceb's sidecar (127.0.0.6): it went around it",
    })
    // A real token and its payload are refused from there too: no sidecar verified anything.
    const real = await issue('servicea', 'serviceb')
    const direct = { authorization: `Bearer ${real}`, [HEADER]: payloadOf(real) }
    expect((await toServiceb(direct, '127.0.0.1')).status).toBe(403)
    expect((await toServiceb(direct)).status).toBe(200)
  })

  it('attack: a lowercase `bearer` the sidecar does not read (no token for it), with a matching header a sidecar left → 403 ERR_MESH_UNVERIFIED', async () => {
    const token = forgedToken()
    const headers = { authorization: `bearer ${token}`, [HEADER]: payloadOf(token) }
    const before = leaky.seen.withoutToken
    const { status, body } = await viaSidecar(headers, leaky)
    expect(leaky.seen.withoutToken).toBe(before + 1)
    expect(status).toBe(403)
    expect(body.error).toMatchObject({
      code: 'ERR_MESH_UNVERIFIED',
      message: expect.stringMatching(/Authorization is not one token after a literal `Bearer `/),
    })
  })

  it('Authorization in any form but the one Envoy reads is refused: two spaces, a second value, a token with four parts', async () => {
    const token = await issue('servicea', 'serviceb')
    const withHeader = (authorization: string | string[]) => ({
      authorization,
      [HEADER]: payloadOf(token),
    })
    for (const authorization of [
      `Bearer  ${token}`,
      [`Bearer ${token}`, `Bearer ${token}`],
      `Bearer ${token}.x`,
    ]) {
      const { status, body } = await toServiceb(withHeader(authorization))
      expect(status, JSON.stringify(authorization)).toBe(403)
      expect(body.error.code).toBe('ERR_MESH_UNVERIFIED')
    }
    expect((await toServiceb(withHeader(`Bearer ${token}`))).status).toBe(200)
  })

  it("attack: a real token with another token's payload in the header → 403 ERR_MESH_UNVERIFIED", async () => {
    const token = await issue('servicec', 'serviceb')
    const servicea = await issue('servicea', 'serviceb')
    const headers = { authorization: `Bearer ${token}`, [HEADER]: payloadOf(servicea) }
    const { status, body } = await toServiceb(headers)
    expect(status).toBe(403)
    expect(body.error.code).toBe('ERR_MESH_UNVERIFIED')
  })

  it('attack: a token and its payload header on the HTTPS port, where no sidecar reads anything → 403 ERR_MESH_UNVERIFIED', async () => {
    const token = await issue('servicea', 'serviceb')
    const res = await cluster.https.requestJson(
      'serviceb',
      `${servicebHttps}/scenario1-server?verify=mesh`,
      { headers: { authorization: `Bearer ${token}`, [HEADER]: payloadOf(token) } },
    )
    expect(res.status).toBe(403)
    expect(res.body).toMatchObject({
      error: {
        code: 'ERR_MESH_UNVERIFIED',
        message: expect.stringMatching(/plain HTTP port only: no sidecar reads a token on HTTPS/),
      },
    })
  })

  it('a token without the header (no sidecar verified it) → 403', async () => {
    const token = await issue('servicea', 'serviceb')
    const { status, body } = await toServiceb({ authorization: `Bearer ${token}` })
    expect(status).toBe(403)
    expect(body.error.message).toBe(
      `not verified by the mesh: no ${HEADER}: the sidecar writes it only for a token it verified`,
    )
  })

  it('an expired token a sidecar let by (its clock, its skew): serviceb checks exp again → 403 TokenExpiredError', async () => {
    const token = await issue('servicea', 'serviceb', true)
    const headers = { authorization: `Bearer ${token}`, [HEADER]: payloadOf(token) }
    const { status, body } = await toServiceb(headers)
    expect(status).toBe(403)
    expect(body).toMatchObject({
      valid: false,
      error: { name: 'TokenExpiredError', code: 'ERR_JWT_EXPIRED' },
    })
  })

  it("attack: another service's token for serviceb, which the mesh accepts (it checks no subject) → 403 JsonWebTokenError (subject)", async () => {
    const token = await issue('servicec', 'serviceb')
    const headers = { authorization: `Bearer ${token}`, [HEADER]: payloadOf(token) }
    const { status, body } = await toServiceb(headers)
    expect(status).toBe(403)
    expect(body.error).toMatchObject({ message: 'jwt subject invalid. expected: servicea' })
  })
})

describe('?verify=mesh where it is not set up', () => {
  let http: HttpClient
  let closedFactory: string
  beforeAll(async () => {
    http = createHttpClient({ caPem: cluster.caPem, timeoutMs: 2000 })
    closedFactory = `https://127.0.0.1:${(await freePorts(1))[0]}`
  })
  afterAll(() => http?.close())

  /** A service app on the cluster's files whose factory is a port nothing listens on. */
  async function appOf(name: ServiceName, env: Record<string, string> = {}) {
    const config = loadConfig(
      {
        SERVICE_NAME: name,
        FACTORY_URL: closedFactory,
        CERTS_DIR: join(cluster.dir, 'certs'),
        SCENARIO3_KEYS_DIR: join(cluster.dir, 'scenario-3-keys'),
        LOG_LEVEL: 'silent',
        ...env,
      },
      cluster.dir,
    )
    const logger = silentLogger()
    const scenario3 = await Scenario3Keys.open({
      dir: config.scenario3.keysDir,
      algorithm: 'ES256',
      logger,
      signer: name === 'servicea',
    })
    return createServiceApp(config, { http, logger, scenario3 })
  }

  it('servicea without SERVICEB_MESH_URL answers 503 naming it, before sending anything (a sent request would be a 502)', async () => {
    const app = await appOf('servicea')
    const res = await app.request('/scenario1?verify=mesh')
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({
      error: {
        name: 'MeshNotConfiguredError',
        code: 'ERR_MESH_NOT_CONFIGURED',
        message: expect.stringMatching(
          /^\?verify=mesh needs SERVICEB_MESH_URL .*nothing was sent.*docs\/20-kubernetes\.md/,
        ),
      },
    })
    const both = await appOf('servicea', { SERVICEB_MESH_URL: 'http://127.0.0.1:1' })
    const two = await both.request('/scenario2?verify=mesh')
    expect(two.status).toBe(503)
    expect(((await two.json()) as any).error.message).toMatch(/needs SERVICEC_MESH_URL/)
    // Every other ?verify= keeps its meaning: the factory is asked (and here cannot answer).
    expect((await app.request('/scenario1?verify=jwks')).status).toBe(502)
  })

  it('scenario 5 with ?verify=mesh (not built) is refused with 400, not verified some other way', async () => {
    const app = await appOf('servicea', { SERVICEB_MESH_URL: 'http://127.0.0.1:1' })
    const res = await app.request('/scenario5?verify=mesh')
    expect(res.status).toBe(400)
    expect(((await res.json()) as any).error.message).toMatch(
      /^\?verify=mesh is built for \/scenario1 and \/scenario2 \(\/scenario5 in the mesh is a next step/,
    )
  })

  it('attack: serviceb without MESH_PAYLOAD_HEADER trusts no header, however well it matches → 503 ERR_MESH_NOT_CONFIGURED', async () => {
    const app = await appOf('serviceb')
    const token = await issue('servicea', 'serviceb')
    const res = await app.request('/scenario1-server?verify=mesh', {
      headers: { authorization: `Bearer ${token}`, [HEADER]: payloadOf(token) },
    })
    expect(res.status).toBe(503)
    expect(((await res.json()) as any).error).toMatchObject({
      code: 'ERR_MESH_NOT_CONFIGURED',
      message: expect.stringMatching(/^\?verify=mesh needs MESH_PAYLOAD_HEADER/),
    })
  })
})
