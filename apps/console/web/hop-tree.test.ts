import type { Span } from '@jwt-factory/trace'
import { describe, expect, it } from 'vitest'
import breakRun from './fixtures/break-edit-claim.json' with { type: 'json' }
import run from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import { buildHops, compareIds, flattenHops } from './hop-tree.ts'

const spans = run.trace as Span[]
const summary = (spans: Span[]) =>
  flattenHops(buildHops(spans)).map((hop) => ({
    id: hop.id,
    depth: hop.depth,
    from: hop.from,
    to: hop.to,
    pending: hop.pending,
  }))

describe('buildHops', () => {
  it('reads a whole trace as a tree, parents before children', () => {
    expect(summary(spans)).toEqual([
      { id: '1', depth: 0, from: 'user', to: 'servicea', pending: false },
      { id: '1.1', depth: 1, from: 'servicea', to: 'jwt-factory', pending: false },
      { id: '1.2', depth: 1, from: 'servicea', to: 'serviceb', pending: false },
      { id: '1.2.1', depth: 2, from: 'serviceb', to: 'serviceb', pending: false },
    ])
  })

  it('is the same tree whatever order the spans arrive in', () => {
    expect(summary([...spans].reverse())).toEqual(summary(spans))
  })

  it('draws the parents of a span that arrived first as pending, between the participants it implies', () => {
    const verify = spans.find((span) => span.id === '1.2.1')!
    expect(summary([verify])).toEqual([
      { id: '1', depth: 0, from: 'user', to: 'servicea', pending: true },
      { id: '1.2', depth: 1, from: 'servicea', to: 'serviceb', pending: true },
      { id: '1.2.1', depth: 2, from: 'serviceb', to: 'serviceb', pending: false },
    ])
  })

  it("draws a break-it run's root, the console's call to serviceb, as pending until it ends", () => {
    const [root, verify] = breakRun.trace as Span[]
    expect(summary([verify!])[0]).toEqual({
      id: '1',
      depth: 0,
      from: 'user',
      to: 'serviceb',
      pending: true,
    })
    const [hop] = buildHops([verify!, root!])
    expect(hop).toMatchObject({ id: '1', to: 'serviceb', status: 403, pending: false })
    expect(hop?.children.map((child) => child.verification?.failed)).toEqual(['signature'])
  })

  it('draws a call whose start came (status 0) as under way, with its own words: who, and the request', () => {
    const call = spans.find((span) => span.id === '1.2')!
    const [root] = buildHops([{ ...call, status: 0, ms: 0 }])
    const [hop] = root!.children
    expect(hop).toMatchObject({ id: '1.2', from: 'servicea', to: 'serviceb', pending: true })
    expect(hop!.call).toBe(call.call)
    expect(hop!.status).toBeUndefined()
  })

  it('orders ids as numbers, not text', () => {
    expect(['1.10', '1.9', '1', '0', '1.2.1'].sort(compareIds)).toEqual([
      '0',
      '1',
      '1.2.1',
      '1.9',
      '1.10',
    ])
  })
})
