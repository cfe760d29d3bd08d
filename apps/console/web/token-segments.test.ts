import { describe, expect, it } from 'vitest'
import run from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import { tokenSegments } from './token-segments.ts'

describe('tokenSegments', () => {
  it('splits a real token into parts whose first two decode to its header and claims', () => {
    const issued = run.trace.find((span) => span.token?.source === 'issued')?.token
    const segments = tokenSegments(issued?.compact ?? '')
    expect(segments).toBeDefined()
    const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    expect(decode(segments!.header)).toEqual(issued?.header)
    expect(decode(segments!.payload)).toEqual(issued?.claims)
    // ES256: r and s, 32 bytes each.
    expect(Buffer.from(segments!.signature, 'base64url')).toHaveLength(64)
  })

  it('keeps the empty signature of alg: none and refuses what is not three parts', () => {
    expect(tokenSegments('eyJhbGciOiJub25lIn0.e30.')).toEqual({
      header: 'eyJhbGciOiJub25lIn0',
      payload: 'e30',
      signature: '',
    })
    expect(tokenSegments('not-a-token')).toBeUndefined()
    expect(tokenSegments('a.b.c.d.e')).toBeUndefined()
  })
})
