import type { Span } from '@jwt-factory/trace'
import { describe, expect, it } from 'vitest'
import run from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import { answerLabel, callLabel, noteLines } from './hop-labels.ts'
import { buildHops, flattenHops, type Hop } from './hop-tree.ts'

const hops = flattenHops(buildHops(run.trace as Span[]))
const hop = (id: string) => hops.find((h) => h.id === id)!

describe('hop labels', () => {
  it('says the factory issued a token on its answer, and what token a call carried on the call', () => {
    expect(answerLabel(hop('1.1'))).toBe('200 · 6.1 ms · issued')
    expect(callLabel(hop('1.1'))).toBe('POST /issueToken/servicea')
    const cached: Hop = { ...hop('1.2'), token: { ...hop('1.2').token!, source: 'cached' } }
    expect(callLabel(cached)).toBe('GET /scenario1-server?verify=jwks · cached token')
    expect(answerLabel(cached)).toBe('200 · 12.9 ms')
    expect(answerLabel({ ...hop('1.2'), status: undefined })).toBe('waiting…')
  })

  it("leaves out the console's own ?trace=1, keeping the rest of the query", () => {
    const call = (text: string) => callLabel({ ...hop('1'), call: text })
    expect(call('GET /scenario1?trace=1&verify=jwks')).toBe('GET /scenario1?verify=jwks')
    expect(call('GET /scenario2?expired=1&trace=1')).toBe('GET /scenario2?expired=1')
    expect(call('GET /scenario3?trace=1')).toBe('GET /scenario3')
    expect(call('GET /scenario1?trace=10')).toBe('GET /scenario1?trace=10')
  })

  it('notes a verification with its key set, a token signed or reused with its audience and kid', () => {
    expect(noteLines(hop('1.2.1'))).toEqual({
      title: '✓ verified · 1.2 ms',
      text: "verify with servicea's keys at jwt-factory",
    })
    const reuse: Hop = { ...hop('1.1'), kind: 'reuse', to: 'servicea' }
    const kid = String(reuse.token!.header.kid)
    expect(noteLines(reuse)).toEqual({
      title: 'reused its token · 6.1 ms',
      text: `for serviceb · kid ${kid.slice(0, 10)}…`,
    })
    const refused: Hop = {
      ...hop('1.2.1'),
      verification: { ...hop('1.2.1').verification!, failed: 'aud' },
    }
    expect(noteLines(refused).title).toBe('✗ refused: aud · 1.2 ms')
  })
})
