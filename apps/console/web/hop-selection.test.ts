import type { Span } from '@jwt-factory/trace'
import { describe, expect, it } from 'vitest'
import breakRun from './fixtures/break-edit-claim.json' with { type: 'json' }
import run from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import { defaultHop, keysLitBy, tokenAt } from './hop-selection.ts'
import { buildHops, flattenHops } from './hop-tree.ts'

const hopsOf = (spans: unknown[]) => flattenHops(buildHops(spans as Span[]))

describe('hop selection', () => {
  const hops = hopsOf(run.trace)
  const kid = run.trace[1]!.token!.header.kid

  it('shows the call that carried the token to its verifier first', () => {
    expect(defaultHop(hops)?.id).toBe('1.2')
    expect(defaultHop(hopsOf(breakRun.trace))?.id).toBe('1')
    expect(defaultHop(hopsOf(run.trace.slice(0, 2)))?.id).toBe('1.1')
    expect(defaultHop([])).toBeUndefined()
  })

  it('shows the call that failed when no verification ran: serviceb stopped, 502', () => {
    const [root, reuse, call] = run.trace
    const down = { ...call!, status: 502, result: 'serviceb is unreachable' }
    expect(defaultHop(hopsOf([root, { ...reuse, kind: 'reuse', to: 'servicea' }, down]))?.id).toBe(
      '1.2',
    )
  })

  it('finds the carrier when the verification is deeper: serviceb asking the factory', () => {
    const viaFactory = run.trace.map((span) =>
      span.id === '1.2.1'
        ? { ...span, id: '1.2.1.1', parent: '1.2.1', from: 'jwt-factory', to: 'jwt-factory' }
        : span,
    )
    const ask = { ...run.trace[3]!, id: '1.2.1', parent: '1.2', kind: 'call', to: 'jwt-factory' }
    const reuse = { ...run.trace[1]!, kind: 'reuse', to: 'servicea' }
    expect(
      defaultHop(hopsOf([...viaFactory, ask].map((s) => (s.id === '1.1' ? reuse : s))))?.id,
    ).toBe('1.2')
  })

  it('gives a verification the token its call carried', () => {
    const own = hopsOf(run.trace)
    const verify = own.find((hop) => hop.id === '1.2.1')!
    const withoutToken = { ...verify, token: undefined }
    const parent = own.find((hop) => hop.id === '1.2')!
    parent.children = [withoutToken]
    expect(tokenAt(withoutToken, own)).toBe(parent.token)
  })

  it('gives a call without a token of its own the token its callee verified', () => {
    const [root, , , verify] = run.trace
    const atServicea = { ...verify!, id: '1.1', parent: '1', from: 'servicea', to: 'servicea' }
    const [call, check] = hopsOf([root, atServicea])
    expect(call?.token).toBeUndefined()
    expect(tokenAt(call!, [call!, check!])).toBe(check!.token)
    // A verification by another participant under the call is not what the call carried.
    const elsewhere = hopsOf([root, { ...atServicea, from: 'serviceb', to: 'serviceb' }])
    expect(tokenAt(elsewhere[0]!, elsewhere)).toBeUndefined()
  })

  it('shows a verified token with its compact form when a call of the run carried it', () => {
    const verify = hops.find((hop) => hop.id === '1.2.1')!
    expect(verify.token?.compact).toBeUndefined()
    expect(tokenAt(verify, hops)?.compact).toBe(run.trace[2]!.token!.compact)
    const other = { ...verify, token: { ...verify.token!, claims: { jti: 'another' } } }
    expect(tokenAt(other, hops)).toBe(other.token)
  })

  it('lights the kid a hop used, and each key a verification found at the verifier that found it', () => {
    // scenario 1 with verify=jwks: serviceb checked servicea's token with its copy of the key.
    const lit = keysLitBy(
      hops.find((hop) => hop.id === '1.2')!,
      hops,
    )
    expect([...lit.signed]).toEqual([kid])
    expect(new Map([...lit.checkedBy].map(([who, kids]) => [who, [...kids]]))).toEqual(
      new Map([['serviceb', [kid]]]),
    )
    expect(keysLitBy(hops[0]!, hops).checkedBy.get('serviceb')).toEqual(new Set([kid]))
    // servicea's token request used no verifier's copy: serviceb's stays dark.
    expect(
      keysLitBy(
        hops.find((hop) => hop.id === '1.1')!,
        hops,
      ).checkedBy.size,
    ).toBe(0)
  })
})
