import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nonLoopbackAddress, requestFrom } from '@jwt-factory/server/testing'
import type { Span } from '@jwt-factory/trace'
import { Cluster, getJson } from './cluster.ts'

/**
 * `?fault=` on a scenario: the fault a learner asks for, at the real process it names, for that
 * request alone; the answer names the hop as it would for the real failure.
 */
let cluster: Cluster
beforeAll(async () => {
  cluster = await Cluster.start({ hopTimeoutMs: 400 })
})
afterAll(() => cluster?.stop())

const a = (path: string) => getJson(`${cluster.urls.servicea}${path}`)
const timedOut = (hop: string) => ({
  name: 'GatewayTimeoutError',
  code: 'ERR_GATEWAY_TIMEOUT',
  hop,
})

describe('?fault= on the scenarios', () => {
  it('freeze:serviceb: serviceb holds the call, servicea answers 504 naming it; the next call is 200', async () => {
    const frozen = await a('/scenario1?fault=freeze:serviceb&trace=1')
    expect(frozen.status).toBe(504)
    expect(frozen.body.error).toMatchObject(timedOut('serviceb'))
    expect((await a('/scenario1')).status).toBe(200)
  })

  it('freeze:servicec in scenario 2: serviceb still answers, servicec is the 504', async () => {
    const { status, body } = await a('/scenario2?fault=freeze:servicec')
    expect(status).toBe(504)
    expect(body.serviceb.valid).toBe(true)
    expect(body.servicec.error).toMatchObject(timedOut('servicec'))
  })

  it('freeze:jwt-factory: the factory is named whether servicea or serviceb was waiting on it', async () => {
    // A fresh token: servicea itself waits on the factory's POST /issueToken.
    const issuing = await a('/scenario1?fault=freeze:jwt-factory&fresh=1')
    expect(issuing.status).toBe(504)
    expect(issuing.body.error).toMatchObject(timedOut('jwt-factory'))
    // A cached token: serviceb waits on the factory's POST /verify, servicea waits on serviceb a
    // little longer than serviceb waits on the factory, so serviceb's 504 is what comes back.
    expect((await a('/scenario1')).status).toBe(200)
    const verifying = await a('/scenario1?fault=freeze:jwt-factory')
    expect(verifying.status).toBe(504)
    expect(verifying.body.error).toMatchObject(timedOut('jwt-factory'))
  })

  it('?trace=1: the answer of a hop that could not answer still carries the spans, up to that hop', async () => {
    const line = (s: Span) => `${s.id} ${s.from}->${s.to} ${s.call} ${s.status}`
    const issuing = await a('/scenario1?fault=freeze:jwt-factory&fresh=1&trace=1')
    expect(issuing.status).toBe(504)
    expect(issuing.body.error).toMatchObject(timedOut('jwt-factory'))
    expect((issuing.body.trace as Span[]).map(line)).toEqual([
      '1 user->servicea GET /scenario1?fault=freeze:jwt-factory&fresh=1&trace=1 504',
      '1.1 servicea->jwt-factory POST /issueToken/servicea 504',
    ])
    // serviceb's own wait on the factory comes back under servicea's call to serviceb.
    const verifying = await a('/scenario1?fault=freeze:jwt-factory&trace=1')
    expect(verifying.status).toBe(504)
    expect((verifying.body.trace as Span[]).map(line)).toEqual([
      '1 user->servicea GET /scenario1?fault=freeze:jwt-factory&trace=1 504',
      '1.1 servicea->servicea reuse cached token 200',
      '1.2 servicea->serviceb GET /scenario1-server 504',
      '1.2.1 serviceb->jwt-factory POST /verify/servicea 504',
    ])
  })

  it('a fault that names nothing is a 400 that lists the faults, and nothing is sent', async () => {
    const { status, body } = await a('/scenario1?fault=freeze:servicea')
    expect(status).toBe(400)
    expect(body.error.message).toMatch(/^fault must be one of freeze:jwt-factory, freeze:serviceb/)
  })

  it('a caller beyond this machine can freeze no hop: ?fault= is a 403, an x-fault header is not sent on', async ({
    skip,
  }) => {
    const other = nonLoopbackAddress()
    if (!other) skip('this machine has no non-loopback address')
    // servicea calls every hop from loopback, so a fault it sent on would be honoured there.
    const fromAfar = (path: string, headers: Record<string, string> = {}) =>
      requestFrom({
        port: Number(new URL(cluster.urls.servicea).port),
        path,
        headers,
        localAddress: other,
      })
    const asked = await fromAfar('/scenario1?fault=freeze:serviceb')
    expect(asked.status).toBe(403)
    expect(asked.body).toMatchObject({ error: { name: 'ForbiddenError', code: 'ERR_FORBIDDEN' } })
    const sent = await fromAfar('/scenario1', { 'x-fault': 'freeze:serviceb' })
    expect(sent).toMatchObject({ status: 200, body: { valid: true } })
  })
})
