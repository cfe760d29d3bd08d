import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHECK_ORDER } from '@jwt-factory/jwt'
import { nonLoopbackAddress, requestFrom } from '@jwt-factory/server/testing'
import type { Span } from '@jwt-factory/trace'
import { Cluster, getJson } from './cluster.ts'

/**
 * `?trace=1` as a learner reads it: a tree of spans across the four processes, each verification
 * with its checks in order, the same spans logged live by each process (without the compact token).
 */
let cluster: Cluster
beforeAll(async () => {
  cluster = await Cluster.start()
})
afterAll(() => cluster?.stop())

const traced = async (path: string, rid: string) => {
  const res = await getJson(`${cluster.urls.servicea}${path}`, { headers: { 'x-request-id': rid } })
  return { ...res, trace: res.body.trace as Span[] }
}
const line = (s: Span) => `${s.id} ${s.kind} ${s.from}->${s.to} ${s.call} ${s.status}`
const statusesOf = (span: Span | undefined) =>
  span?.verification?.checks.map((c) => `${c.name}:${c.status}`)

describe('the trace as a tree of spans', () => {
  it("scenario 3: serviceb's own verification is a span, with every check passed", async () => {
    const { status, trace } = await traced('/scenario3?trace=1', 'tree-3')
    expect(status).toBe(200)
    expect(trace.map(line)).toEqual([
      '1 call user->servicea GET /scenario3?trace=1 200',
      '1.1 sign servicea->servicea sign locally 200',
      '1.2 call servicea->serviceb GET /scenario3-server 200',
      "1.2.1 verify serviceb->serviceb verify with servicea's scenario-3 public key 200",
    ])
    const verify = trace[3]!
    expect(verify.verification).toMatchObject({
      keys: "servicea's scenario-3 public key",
      key: { kid: trace[1]!.token!.header.kid, alg: 'ES256' },
      clock: { toleranceSeconds: 30 },
    })
    expect(statusesOf(verify)).toEqual(CHECK_ORDER.map((c) => `${c}:passed`))
    expect(verify.verification!.checks.find((c) => c.name === 'iss')).toMatchObject({
      expected: 'https://service-issuer',
      seen: 'https://service-issuer',
    })
    expect(trace.every((s) => s.rid === 'tree-3' && typeof s.startedAt === 'number')).toBe(true)
    // The call went over TLS to the certificate the project's CA issued.
    expect(trace[2]!.tls).toEqual({ peer: expect.any(String), ca: expect.stringMatching(/CA/) })
  })

  it('an expired token: the checks before exp passed, exp failed, iat did not run', async () => {
    const { status, trace } = await traced('/scenario3?trace=1&expired=1', 'tree-3x')
    expect(status).toBe(403)
    const verify = trace.find((s) => s.kind === 'verify')
    expect(verify).toMatchObject({ status: 403, result: 'TokenExpiredError: jwt expired' })
    expect(verify!.verification!.failed).toBe('exp')
    const at = CHECK_ORDER.indexOf('exp')
    expect(statusesOf(verify)).toEqual(
      CHECK_ORDER.map((c, i) => `${c}:${i < at ? 'passed' : i === at ? 'failed' : 'not run'}`),
    )
  })

  it('scenario 2: the calls to serviceb and servicec each hold their own verification', async () => {
    const { trace } = await traced('/scenario2?trace=1&verify=jwks&fresh=1', 'tree-2')
    const byId = new Map(trace.map((s) => [s.id, s]))
    for (const peer of ['serviceb', 'servicec']) {
      const call = trace.find((s) => s.kind === 'call' && s.to === peer)!
      const inner = trace.filter((s) => s.parent === call.id)
      expect(inner.map((s) => `${s.kind} ${s.from}`)).toEqual([`verify ${peer}`])
      expect(inner[0]!.verification!.keysFetchedSecondsAgo).toBeGreaterThanOrEqual(0)
      expect(call.token!.claims.aud).toBe(peer)
    }
    // Every parent is listed before its children.
    trace.forEach((s, i) => {
      if (s.parent) expect(trace.indexOf(byId.get(s.parent)!)).toBeLessThan(i)
    })
  })

  it("the answer carries the compact token the learner's request produced; the logs never do", async () => {
    const { trace } = await traced('/scenario1?trace=1&fresh=1', 'tree-1')
    const issued = trace.find((s) => s.call === 'POST /issueToken/servicea')!
    expect(issued.token!.compact).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/)
    const signature = issued.token!.compact!.split('.')[2]!
    // Each process logs its spans as they end; together they are the answer's tree.
    const logged = () =>
      cluster.logs
        .filter((l) => l.line.includes('"rid":"tree-1"') && l.line.includes('"msg":"span"'))
        .map((l) => ({ name: l.name, span: JSON.parse(l.line).span as Span }))
    await cluster.untilLogs(() => logged().length === trace.length)
    expect(new Set(logged().map((l) => l.span.id))).toEqual(new Set(trace.map((s) => s.id)))
    expect(logged().find((l) => l.span.id === '1.2.1.1')?.name).toBe('jwt-factory')
    expect(logged().find((l) => l.span.id === '1.2.1')?.name).toBe('serviceb')
    expect(cluster.logs.some((l) => l.line.includes(signature))).toBe(false)
  })

  it('a caller beyond this machine gets the decoded tokens, never a compact one', async ({
    skip,
  }) => {
    const other = nonLoopbackAddress()
    if (!other) skip('this machine has no non-loopback address')
    const res = await requestFrom({
      port: Number(new URL(cluster.urls.servicea).port),
      path: '/scenario1?trace=1&fresh=1',
      localAddress: other,
    })
    expect(res.status).toBe(200)
    const trace = (res.body as { trace: Span[] }).trace
    const issued = trace.find((s) => s.call === 'POST /issueToken/servicea')!
    expect(issued.token).toMatchObject({ header: { alg: 'ES256' }, claims: { aud: 'serviceb' } })
    expect(trace.filter((s) => s.token?.compact !== undefined)).toEqual([])
  })

  it('a refused token at the factory: its verify span names the failed check', async () => {
    const { status, trace } = await traced('/scenario1?trace=1&expired=1', 'tree-1x')
    expect(status).toBe(403)
    const factoryCheck = trace.find((s) => s.from === 'jwt-factory' && s.kind === 'verify')
    expect(factoryCheck?.verification?.failed).toBe('exp')
    expect(factoryCheck?.verification?.keys).toBe('the keys of servicea')
  })

  it('without ?trace=1 no span is made, logged or sent on', async () => {
    const res = await getJson(`${cluster.urls.servicea}/scenario1`, {
      headers: { 'x-request-id': 'untraced-1' },
    })
    expect(res.body.trace).toBeUndefined()
    await cluster.untilLogs(() =>
      cluster.logs.some((l) => l.name === 'serviceb' && l.line.includes('"rid":"untraced-1"')),
    )
    expect(
      cluster.logs.some((l) => l.line.includes('"rid":"untraced-1"') && l.line.includes('"span"')),
    ).toBe(false)
  })
})
