import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  base64url,
  createLocalJWKSet,
  decodeProtectedHeader,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { ensureCertificates, loadTlsFiles } from '@jwt-factory/tls'
import { root } from '../demo/cluster.ts'
import type { HttpRowId, HttpRowResult } from '../bench/http-rows.ts'
import type { LoadTarget } from '../bench/load.ts'
import { parseBenchOptions } from '../bench/options.ts'
import { besideTheirRows } from '../bench/reference-ratios.ts'
import { issueBareToken, referenceRows } from '../bench/reference-rows.ts'
import { ReferenceServers } from '../bench/reference-servers.ts'
import { buildReport, formatReport } from '../bench/report.ts'

/**
 * The bench's reference rows (9) do the real work: the bare server's and the peer's processes
 * started as the bench starts them, over HTTPS under a CA of the test's own, each asked what the
 * bench's load asks, and what they answer checked with jose, not with their own code.
 */
for (const alg of ['ES256', 'RS256'] as const) {
  describe(`the bench's reference servers (scripts/bench/reference-servers.ts), ${alg}`, () => {
    let dir: string | undefined
    let servers: ReferenceServers | undefined
    let client: HttpClient | undefined
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'bench-references-'))
      const certsDir = join(dir, 'certs')
      await ensureCertificates(certsDir)
      servers = await ReferenceServers.start({ root, algorithm: alg, certsDir })
      client = createHttpClient({ caPem: (await loadTlsFiles(certsDir)).caPem })
    })
    afterAll(async () => {
      await client?.close()
      await servers?.stop()
      if (dir) await rm(dir, { recursive: true, force: true })
    })

    const send = async (target: LoadTarget) => {
      const res = await client!.agent.request({
        ...target,
        headers: target.headers ?? {},
        body: target.body ?? null,
      })
      return { status: res.statusCode, text: await res.body.text() }
    }
    const rowTarget = (id: string, bareToken = 'unused') =>
      referenceRows(servers!, bareToken).find((row) => row.id === id)!.target
    const verifyBare = (token: string) =>
      send({ ...rowTarget('bare-verify'), body: JSON.stringify({ token }) })

    it("bare /sign, asked as the bench asks: a token of the factory's header and claims, verified by jose", async () => {
      const answer = await send(rowTarget('bare-sign'))
      expect(answer.status).toBe(200)
      const { payload, protectedHeader } = await jwtVerify(
        answer.text,
        servers!.signingKey.publicKey,
        {
          algorithms: [alg],
          issuer: servers!.origins.bare,
          audience: 'serviceb',
          subject: 'servicea',
        },
      )
      expect(protectedHeader).toEqual({ alg, kid: servers!.signingKey.kid, typ: 'JWT' })
      expect(Object.keys(payload)).toEqual(['iss', 'sub', 'aud', 'iat', 'exp', 'jti'])
      expect(payload.exp! - payload.iat!).toBe(3600)
      expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/)
    })

    it('bare /verify accepts its own token and refuses it tampered, re-signed by nobody, or expired', async () => {
      const token = await issueBareToken(client!.agent, servers!)
      const accepted = await send(rowTarget('bare-verify', token))
      expect(accepted.status).toBe(200)
      expect(JSON.parse(accepted.text)).toMatchObject({ valid: true, claims: { aud: 'serviceb' } })

      const [header, payload, signature] = token.split('.') as [string, string, string]
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
      const otherPayload = base64url.encode(JSON.stringify({ ...claims, sub: 'admin' }))
      expect((await verifyBare(`${header}.${otherPayload}.${signature}`)).status).toBe(401)
      const otherSignature = base64url.encode(Buffer.from(signature, 'base64url').reverse())
      expect((await verifyBare(`${header}.${payload}.${otherSignature}`)).status).toBe(401)
      expect((await verifyBare(`${header}.${payload}`)).status).toBe(401)

      // Signed with the server's own key: only the exp differs, so exp is what is refused.
      const signed = (exp: number) =>
        new SignJWT({ sub: 'servicea' })
          .setProtectedHeader({ alg, kid: servers!.signingKey.kid, typ: 'JWT' })
          .setExpirationTime(exp)
          .sign(servers!.signingKey.privateKeyObject)
      const now = Math.floor(Date.now() / 1000)
      expect((await verifyBare(await signed(now + 600))).status).toBe(200)
      const expired = await verifyBare(await signed(now - 600))
      expect(expired.status).toBe(401)
      expect(JSON.parse(expired.text)).toEqual({ valid: false })
    })

    it('the peer, asked as the bench asks: a client-credentials token that verifies against its JWKS, pinned to the algorithm', async () => {
      const answer = await send(rowTarget('peer-token'))
      expect(answer.status).toBe(200)
      const { access_token: token } = JSON.parse(answer.text) as { access_token: string }
      expect(decodeProtectedHeader(token).alg).toBe(alg)
      const jwks = await send({ origin: servers!.origins.peer, method: 'GET', path: '/jwks' })
      expect(jwks.status).toBe(200)
      const keySet = JSON.parse(jwks.text) as JSONWebKeySet
      expect(keySet.keys).toHaveLength(1)
      expect(keySet.keys[0]).not.toHaveProperty('d')
      const { payload } = await jwtVerify(token, createLocalJWKSet(keySet), {
        algorithms: [alg],
        issuer: servers!.origins.peer,
        audience: 'serviceb',
      })
      expect(payload.exp).toBeGreaterThan(payload.iat!)
    })
  })
}

describe('the bench report: the factory rows over the reference rows', () => {
  /** A row answered by `server`, which spent `cpuMicros` of CPU on each request. */
  const row = (
    id: HttpRowResult['id'],
    requestsPerSecond: number,
    server: string,
    cpuMicros: number,
    label: string = id,
  ): HttpRowResult => ({
    id,
    label,
    url: `https://localhost:1/${id}`,
    connections: 32,
    cpuPercent: { [server]: 90, bench: 40, other: 0 },
    cpuMicrosPerRequest: { [server]: cpuMicros, bench: 100 },
    requests: requestsPerSecond * 5,
    requestsPerSecond,
    p50Ms: 8,
    p99Ms: 20,
    non2xx: {},
    errors: {},
  })
  const options = parseBenchOptions(['--only', 'issue,verify,jwks,reference'])!
  const issue = row('issue', 3000, 'jwt-factory', 400, 'POST /issueToken/servicea (https)')

  it('divides issue by the bare signer and the peer, verify by the bare verifier; --json carries them', () => {
    const rows = [
      issue,
      row('verify', 3000, 'jwt-factory', 300, 'POST /verify/servicea (https)'),
      row('jwks', 9000, 'jwt-factory', 100),
      row('bare-sign', 6000, 'bare', 200),
      row('bare-verify', 4000, 'bare', 240),
      row('peer-token', 1500, 'peer', 1000),
    ]
    const report = buildReport(options, undefined, rows, undefined)
    const byId = Object.fromEntries(report.http.map((r) => [r.id, r]))
    // By req/s, and by the CPU each request cost (the reference's over the factory's).
    expect(byId.issue).toMatchObject({
      ratioToBare: 0.5,
      ratioToPeer: 2,
      cpuRatioToBare: 0.5,
      cpuRatioToPeer: 2.5,
    })
    expect(byId.verify).toMatchObject({ ratioToBare: 0.75, cpuRatioToBare: 0.8 })
    expect(byId.verify).not.toHaveProperty('ratioToPeer')
    for (const id of ['jwks', 'bare-sign', 'peer-token'])
      expect(byId[id]).not.toHaveProperty('ratioToBare')
    expect(JSON.parse(JSON.stringify(report)).http[0]).toMatchObject({ ratioToPeer: 2 })

    const text = formatReport(report)
    expect(text).toMatch(/^\(9\) Against the references\s+req\/s: bare\s+peer\s+CPU: bare\s+peer$/m)
    expect(text).toMatch(
      /^ {4}\(2\) POST \/issueToken\/servicea \(https\)\s+0\.50\s+2\.00\s+0\.50\s+2\.50$/m,
    )
    expect(text).toMatch(/^ {4}\(3\) POST \/verify\/servicea \(https\)\s+0\.75\s+-\s+0\.80\s+-$/m)
    expect(text).toMatch(/^\(9\) peer-token\s+1,500/m)
    // A column for each process the rows measured: the reference servers' beside the factory's.
    expect(text).toMatch(/CPU % factory\/bare\/peer\/bench\/other$/m)
  })

  it('measures each reference row right after the factory row it divides', () => {
    const rowsOf = (...ids: HttpRowId[]) => ids.map((id) => ({ id }))
    const ids = (rows: { id: HttpRowId }[]) => rows.map((r) => r.id)
    const references = rowsOf('bare-sign', 'bare-verify', 'peer-token')
    expect(ids(besideTheirRows(rowsOf('issue', 'verify', 'jwks'), references))).toEqual([
      'issue',
      'bare-sign',
      'peer-token',
      'verify',
      'bare-verify',
      'jwks',
    ])
    // Without its factory row, a reference row is still measured, last.
    expect(ids(besideTheirRows(rowsOf('verify', 'jwks'), references))).toEqual([
      'verify',
      'bare-verify',
      'jwks',
      'bare-sign',
      'peer-token',
    ])
  })

  it('prints no ratios without a reference row of the run, or when the reference answered nothing', () => {
    const alone = buildReport(options, undefined, [issue], undefined)
    expect(alone.http[0]).not.toHaveProperty('ratioToBare')
    expect(formatReport(alone)).not.toMatch(/Against the references/)
    const failed = buildReport(
      options,
      undefined,
      [issue, row('bare-sign', 0, 'bare', NaN)],
      undefined,
    )
    expect(Object.keys(failed.http[0]!).filter((key) => /atio/.test(key))).toEqual([])
  })
})
