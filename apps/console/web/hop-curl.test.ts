import type { Span } from '@jwt-factory/trace'
import { describe, expect, it } from 'vitest'
import type { ControlState } from '@jwt-factory/console/api'
import fixture from './fixtures/control-state.json' with { type: 'json' }
import run from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import run1 from './fixtures/scenario1-run.json' with { type: 'json' }
import run6 from './fixtures/scenario6-run.json' with { type: 'json' }
import { buildHops, flattenHops, type Hop } from './hop-tree.ts'
import { hopCurl, type HopCurlContext } from './hop-curl.ts'

const state = fixture as ControlState
const contextOf = (answer: { curl: string; trace: unknown[] }) => {
  const hops = flattenHops(buildHops(answer.trace as Span[]))
  const context: HopCurlContext = {
    runCurl: answer.curl,
    processes: state.processes,
    files: state.files,
    hops,
  }
  return { hop: (id: string) => hops.find((h) => h.id === id)!, context }
}
const spans = run.trace as Span[]
const { hop, context } = contextOf(run)
const compactOf = (answer: { trace: unknown[] }, id: string) =>
  (answer.trace as Span[]).find((s) => s.id === id)!.token!.compact!

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

  it('quotes a CA path the shell would split: a checkout path with a space', () => {
    const files = { ...state.files, ca: '/home/me/My Projects/jwt-factory/certs/ca.pem' }
    expect(hopCurl(hop('1.2'), { ...context, files })).toMatch(
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
    const [userHop] = buildHops([user])
    const curl = hopCurl(call, { ...context, hops: [userHop!, ...context.hops!] })
    expect(curl).toContain(`-H 'X-User-Authorization: Bearer u.s.r'`)
    expect(curl).toContain('"https://localhost:8443/scenario5-server"')
  })

  it("servicea's token request: the audience it asked for, as JSON, at the factory's HTTPS port", () => {
    expect(hopCurl(hop('1.1'), context)).toBe(
      `curl --cacert certs/ca.pem -X POST -H content-type:application/json -d '{"aud":"serviceb"}' "https://localhost:5443/issueToken/servicea"`,
    )
    // A token that came back expired was asked for so.
    const issued = hop('1.1')
    const expired: Hop = { ...issued, startedAt: (issued.token!.claims.exp as number) * 1000 + 1 }
    expect(hopCurl(expired, context)).toMatch(
      /"https:\/\/localhost:5443\/issueToken\/servicea\?expired=1"$/,
    )
  })

  it("serviceb's verification at the factory: servicea's token, serviceb as the audience, servicea as the subject", () => {
    const { hop: at, context: c } = contextOf(run1)
    const body = JSON.stringify({ token: compactOf(run1, '1.2'), aud: 'serviceb', sub: 'servicea' })
    expect(hopCurl(at('1.2.1'), c)).toBe(
      `curl --cacert certs/ca.pem -X POST -H content-type:application/json -d '${body}' "https://localhost:5443/verify/servicea"`,
    )
  })

  it('a token exchange: the exchanging service authenticates with its secret file, the token it was handed as the subject', () => {
    const { hop: at, context: c } = contextOf(run6)
    const form = (subject: string, audience: string) =>
      `-d grant_type=urn:ietf:params:oauth:grant-type:token-exchange -d subject_token=${subject} -d subject_token_type=urn:ietf:params:oauth:token-type:access_token -d audience=${audience}`
    // servicea exchanges the user's login token (span 0 has it in full) for serviceb.
    expect(hopCurl(at('1.2'), c)).toBe(
      `curl --cacert certs/ca.pem -X POST -u "servicea:$(cat data/client-secrets/servicea)" ${form(compactOf(run6, '0'), 'serviceb')} "https://localhost:5443/token"`,
    )
    // serviceb exchanges the token servicea sent it for servicec.
    expect(hopCurl(at('1.3.2'), c)).toBe(
      `curl --cacert certs/ca.pem -X POST -u "serviceb:$(cat data/client-secrets/serviceb)" ${form(compactOf(run6, '1.3'), 'servicec')} "https://localhost:5443/token"`,
    )
  })

  it("the user's login: the user's name and the audience, and curl asks for the password", () => {
    const { hop: at, context: c } = contextOf(run6)
    expect(hopCurl(at('0'), c)).toBe(
      `curl --cacert certs/ca.pem -X POST -u viewer -H 'X-Audience: servicea' "https://localhost:5443/login"`,
    )
  })

  it('never lets span data run in the shell: a path the shell would expand is single-quoted, an unknown exchanger has none', () => {
    const sneaky: Hop = { ...hop('1.2'), call: 'GET /scenario1-server?x=$(id)`id`' }
    expect(hopCurl(sneaky, context)).toMatch(
      / 'https:\/\/localhost:8443\/scenario1-server\?x=\$\(id\)`id`'$/,
    )
    const { hop: at, context: c } = contextOf(run6)
    for (const from of ['mallory', 'servicea$(id)', '../servicea']) {
      expect(hopCurl({ ...at('1.2'), from }, c)).toBeUndefined()
    }
  })

  it('has none for a step inside one process, a hop without its token in full, or an unknown port', () => {
    expect(hopCurl(hop('1.2.1'), context)).toBeUndefined() // a verification: no request
    const logged: Hop = { ...hop('1.2'), token: { header: {}, claims: {} } }
    expect(hopCurl(logged, context)).toBeUndefined()
    expect(hopCurl(hop('1.2'), { ...context, processes: [] })).toBeUndefined()
    const { files: _files, ...noFiles } = context
    expect(hopCurl(hop('1.1'), noFiles)).toBeUndefined()
  })
})
