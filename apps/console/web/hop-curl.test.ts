import type { Span } from '@jwt-factory/trace'
import { describe, expect, it } from 'vitest'
import type { ControlState } from '@jwt-factory/console/api'
import fixture from './fixtures/control-state.json' with { type: 'json' }
import run from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import { buildHops, flattenHops, type Hop } from './hop-tree.ts'
import { hopCurl } from './hop-curl.ts'

const spans = run.trace as Span[]
const hops = flattenHops(buildHops(spans))
const hop = (id: string) => hops.find((h) => h.id === id)!
const context = { runCurl: run.curl, processes: (fixture as ControlState).processes, spans }

describe('hopCurl', () => {
  it("repeats the console's own request with the answer's curl", () => {
    expect(hopCurl(hop('1'), context)).toBe(run.curl)
  })

  it("rebuilds servicea's call to serviceb with its token, on serviceb's HTTPS port", () => {
    const compact = spans.find((s) => s.id === '1.2')!.token!.compact!
    expect(hopCurl(hop('1.2'), context)).toBe(
      `curl --cacert certs/ca.pem -H 'Authorization: Bearer ${compact}' "https://localhost:8443/scenario1-server?verify=jwks"`,
    )
  })

  it("keeps the CA file as the answer's curl quoted it: a checkout path with a space", () => {
    const ca = `'/home/me/My Projects/jwt-factory/certs/ca.pem'`
    const runCurl = run.curl.replace('certs/ca.pem', ca)
    expect(hopCurl(hop('1.2'), { ...context, runCurl })).toMatch(
      /^curl --cacert '\/home\/me\/My Projects\/jwt-factory\/certs\/ca.pem' -H /,
    )
  })

  it("adds the user's token where scenario 5's verifying side takes it", () => {
    const call: Hop = { ...hop('1.2'), call: 'GET /scenario5-server' }
    const user: Span = {
      ...spans[0]!,
      id: '0',
      token: { header: {}, claims: {}, source: 'user', compact: 'u.s.r' },
    }
    const curl = hopCurl(call, { ...context, spans: [user, ...spans] })
    expect(curl).toContain(`-H 'X-User-Authorization: Bearer u.s.r'`)
    expect(curl).toContain('"https://localhost:8443/scenario5-server"')
  })

  it('has none for a hop without a compact token, a call to the factory, or an unknown port', () => {
    expect(hopCurl(hop('1.1'), context)).toBeUndefined() // POST to the factory
    expect(hopCurl(hop('1.2.1'), context)).toBeUndefined() // a verification: no request
    const logged: Hop = { ...hop('1.2'), token: { header: {}, claims: {} } }
    expect(hopCurl(logged, context)).toBeUndefined()
    expect(hopCurl(hop('1.2'), { ...context, processes: [] })).toBeUndefined()
  })
})
