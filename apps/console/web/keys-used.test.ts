import type { Span } from '@jwt-factory/trace'
import { describe, expect, it } from 'vitest'
import breakRun from './fixtures/break-edit-claim.json' with { type: 'json' }
import run from './fixtures/scenario1-jwks-run.json' with { type: 'json' }
import { buildHops, flattenHops } from './hop-tree.ts'
import { keysUsed } from './keys-used.ts'

const hopsOf = (spans: unknown[]) => flattenHops(buildHops(spans as Span[]))
const kid = run.trace[1]!.token!.header.kid

describe('keysUsed', () => {
  it('lists the key each verification found, by its verifier, once', () => {
    const verify = run.trace[3]!
    const again = { ...verify, id: '1.2.2' }
    expect(keysUsed(hopsOf([...run.trace, again]))).toEqual([
      { verifier: 'serviceb', keys: "servicea's keys at jwt-factory", kid, alg: 'ES256' },
    ])
  })

  it('has none for a run without verification, or one that found no key', () => {
    expect(keysUsed(hopsOf(run.trace.slice(0, 3)))).toEqual([])
    const [root, verify] = breakRun.trace
    const noKey = { ...verify, verification: { ...verify!.verification, key: undefined } }
    expect(keysUsed(hopsOf([root, noKey]))).toEqual([])
  })
})
