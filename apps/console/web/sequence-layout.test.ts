import type { Span } from '@jwt-factory/trace'
import { describe, expect, it } from 'vitest'
import run from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import { buildHops } from './hop-tree.ts'
import { fitLabel, GEOMETRY, layoutSequence, PARTICIPANTS } from './sequence-layout.ts'

const spans = run.trace as Span[]
const laneX = (name: string) =>
  GEOMETRY.margin + PARTICIPANTS.indexOf(name as never) * GEOMETRY.laneGap

describe('layoutSequence', () => {
  const layout = layoutSequence(buildHops(spans))
  const arrows = layout.arrows.map((a) => `${a.hop.id} ${a.kind}`)

  it('has a lane per participant, in the order a request travels', () => {
    expect(layout.lanes.map((lane) => lane.name)).toEqual([...PARTICIPANTS])
    expect(layout.width).toBe(2 * GEOMETRY.margin + 4 * GEOMETRY.laneGap)
  })

  it('draws each call, then its children, then its answer coming back', () => {
    expect(arrows).toEqual([
      '1 call',
      '1.1 call',
      '1.1 return',
      '1.2 call',
      '1.2 return',
      '1 return',
    ])
    const ys = layout.arrows.map((arrow) => arrow.y)
    expect(ys).toEqual([...ys].sort((a, b) => a - b))
    expect(layout.height).toBeGreaterThan(ys.at(-1)!)
  })

  it('points calls from the caller to the callee and answers back', () => {
    const call = layout.arrows.find((a) => a.hop.id === '1.1' && a.kind === 'call')!
    const back = layout.arrows.find((a) => a.hop.id === '1.1' && a.kind === 'return')!
    // From servicea's activation bar to the edge of jwt-factory's.
    expect(call.x1).toBe(laneX('servicea') + GEOMETRY.bar / 2)
    expect(call.x2).toBe(laneX('jwt-factory') - GEOMETRY.bar / 2)
    expect([back.x1, back.x2]).toEqual([call.x2, call.x1])
    // The user has no activation: the learner's request starts on the lane itself.
    expect(layout.arrows[0]?.x1).toBe(laneX('user'))
  })

  it('puts a verification inside the activation of the call it belongs to', () => {
    const note = layout.notes.find((n) => n.hop.id === '1.2.1')!
    const bar = layout.bars.find((b) => b.hop.id === '1.2')!
    expect(note.x).toBe(laneX('serviceb'))
    expect(bar.x).toBe(laneX('serviceb'))
    expect(note.y).toBeGreaterThan(bar.y1)
    expect(note.y + note.height).toBeLessThan(bar.y2)
    const root = layout.bars.find((b) => b.hop.id === '1')!
    expect(root.y1).toBeLessThan(bar.y1)
    expect(root.y2).toBeGreaterThan(bar.y2)
  })

  it('widens a note to its words, within two lanes, and keeps it inside the diagram', () => {
    const [root] = spans
    const long = 'verify with the keys of servicea, fetched from the JWKS of jwt-factory'
    const step: Span = {
      ...root!,
      id: '1.1',
      parent: '1',
      kind: 'verify',
      from: 'servicec',
      to: 'servicec',
      call: long,
    }
    const note = layoutSequence(buildHops([root!, step])).notes[0]!
    expect(note.width).toBe(2 * GEOMETRY.laneGap - 24)
    expect(note.x + note.width / 2).toBeLessThanOrEqual(layout.width - 4)
    expect(note.x).toBeLessThan(laneX('servicec'))
    const short = layout.notes.find((n) => n.hop.id === '1.2.1')!
    expect(short.width).toBeLessThan(note.width)
  })

  it('frames siblings that ran at the same time, and no others', () => {
    const [root, issue, call] = spans
    const toC: Span = { ...call!, id: '1.3', to: 'servicec', startedAt: call!.startedAt + 1 }
    const after: Span = { ...call!, id: '1.4', startedAt: toC.startedAt + toC.ms + 1 }
    const framed = layoutSequence(buildHops([root!, issue!, call!, toC, after]))
    expect(framed.frames.map((f) => f.hops.map((h) => h.id))).toEqual([['1.2', '1.3']])
    const [frame] = framed.frames
    const rows = framed.bands.filter((b) => ['1.2', '1.3'].includes(b.hop.id))
    expect(frame!.y1).toBe(Math.min(...rows.map((b) => b.y1)))
    expect(frame!.y2).toBe(Math.max(...rows.map((b) => b.y2)))
    expect(layout.frames).toEqual([])
  })

  it('leaves a pending call open: no answer arrow until its span ends', () => {
    const pending = layoutSequence(buildHops(spans.filter((span) => span.id === '1.2.1')))
    expect(pending.arrows.map((a) => `${a.hop.id} ${a.kind}`)).toEqual(['1 call', '1.2 call'])
    expect(pending.bars.every((bar) => bar.open)).toBe(true)
    expect(pending.bars.find((b) => b.hop.id === '1')!.y2).toBeGreaterThan(
      pending.bars.find((b) => b.hop.id === '1.2')!.y2,
    )
  })

  it('draws a call its callee never answered as lost: no bar on the callee, nothing back from it', () => {
    // serviceb stopped: servicea's hop client answers 502 itself, and nothing ran at serviceb.
    const down = spans
      .filter((span) => span.id !== '1.2.1')
      .map((span) =>
        span.id === '1.2'
          ? {
              ...span,
              status: 502,
              result: 'serviceb is unreachable: connection refused',
              answered: false as const,
            }
          : span,
      )
    const lost = layoutSequence(buildHops(down))
    expect(lost.arrows.map((a) => `${a.hop.id} ${a.kind}`)).toEqual([
      '1 call',
      '1.1 call',
      '1.1 return',
      '1.2 call',
      '1.2 lost',
      '1 return',
    ])
    expect(lost.bars.map((bar) => bar.hop.id)).toEqual(['1', '1.1'])
    // A 502 that serviceb itself answered (its factory unreachable) did come back from serviceb.
    const answered = spans.map((span) =>
      span.id === '1.2' ? { ...span, status: 502, result: 'jwt-factory is unreachable' } : span,
    )
    const kinds = layoutSequence(buildHops(answered)).arrows.map((a) => `${a.hop.id} ${a.kind}`)
    expect(kinds).toContain('1.2 return')
  })

  it('nests a second activation of the same participant beside the first (a call back)', () => {
    const [root] = spans
    const again: Span = { ...root!, id: '1.1', parent: '1', from: 'servicea', to: 'user' }
    const inner: Span = { ...root!, id: '1.1.1', parent: '1.1', from: 'user', to: 'servicea' }
    const nested = layoutSequence(buildHops([root!, again, inner]))
    const bars = nested.bars.filter((bar) => bar.hop.to === 'servicea').map((bar) => bar.x)
    expect(bars).toEqual([laneX('servicea'), laneX('servicea') + GEOMETRY.nest])
  })

  it('gives a participant the known lanes do not name a lane of its own, after them', () => {
    const [root] = spans
    const oauth: Span = { ...root!, id: '1.1', parent: '1', from: 'servicea', to: 'oauth-server' }
    const lanes = layoutSequence(buildHops([root!, oauth])).lanes.map((lane) => lane.name)
    expect(lanes).toEqual([...PARTICIPANTS, 'oauth-server'])
  })
})

describe('fitLabel', () => {
  it('keeps a label that fits and cuts one that does not', () => {
    expect(fitLabel('POST /issueToken/servicea', 300)).toBe('POST /issueToken/servicea')
    expect(fitLabel('GET /scenario1-server?verify=jwks', 100)).toBe('GET /scenario1…')
  })
})
