import { describe, expect, it } from 'vitest'
import run from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import { readSpan } from './span-guard.ts'

const [, issued] = run.trace

describe('readSpan', () => {
  it('takes a span as the processes log it', () => {
    expect(readSpan(issued)).toEqual(issued)
  })

  it("leaves out a token that is not a decoded token: a logger's [redacted] in its place", () => {
    const redacted = { ...issued, token: '[redacted]' }
    const span = readSpan(redacted)
    expect(span).toBeDefined()
    expect(span).not.toHaveProperty('token')
    expect(span?.id).toBe('1.1')
    expect(readSpan({ ...issued, token: { header: {} } })).not.toHaveProperty('token')
  })

  it('refuses what cannot be drawn: no id, rid or status', () => {
    expect(readSpan(null)).toBeUndefined()
    expect(readSpan('span')).toBeUndefined()
    expect(readSpan({ ...issued, id: undefined })).toBeUndefined()
    expect(readSpan({ ...issued, rid: 7 })).toBeUndefined()
    expect(readSpan({ ...issued, status: '200' })).toBeUndefined()
  })
})
