import { describe, expect, it } from 'vitest'
import type { ControlState } from '@jwt-factory/console/api'
import fixture from './fixtures/control-state.json' with { type: 'json' }
import { jwksCountdowns, tokenCountdowns } from './countdowns.ts'

const state = fixture as ControlState
const token = state.servicea!.tokens[0]!

describe('tokenCountdowns', () => {
  it("counts servicea's cached token down to reusedUntil", () => {
    const [countdown] = tokenCountdowns(state, token.reusedUntil - 250_000)
    expect(countdown).toMatchObject({
      testid: 'countdown-token-serviceb',
      kid: token.kid,
      remaining: 250_000,
    })
    expect(countdown?.text).toContain('reused for 4 min 10 s more')
  })

  it('says the next call asks the factory once the time is up', () => {
    const [countdown] = tokenCountdowns(state, token.reusedUntil + 1)
    expect(countdown?.remaining).toBe(0)
    expect(countdown?.text).toContain('the next call asks jwt-factory')
  })

  it('has nothing to count while servicea is stopped', () => {
    expect(tokenCountdowns({ ...state, servicea: null }, state.now)).toEqual([])
  })
})

describe('jwksCountdowns', () => {
  const set = state.verifiers.serviceb!.keySets[0]!

  it("counts each verifier's copy of servicea's keys down to staleAt, with the share left", () => {
    const halfway = (set.fetchedAt! + set.staleAt!) / 2
    const [serviceb, servicec] = jwksCountdowns(state, halfway)
    expect(serviceb).toMatchObject({ testid: 'countdown-jwks-serviceb', fraction: 0.5 })
    expect(serviceb?.text).toContain('fresh for 2 min 30 s')
    expect(servicec).toMatchObject({ testid: 'countdown-jwks-servicec' })
    expect(servicec?.remaining).toBeUndefined()
    expect(servicec?.text).toContain('not fetched yet')
  })

  it("counts no other key set down as servicea's: a verifier holding only the users' keys", () => {
    const users = state.verifiers.serviceb!.keySets[1]!
    const fetched = { ...users, fetchedAt: set.fetchedAt!, staleAt: set.staleAt! }
    const onlyUsers = { ...state.verifiers.serviceb!, keySets: [fetched] }
    const [serviceb] = jwksCountdowns(
      { ...state, verifiers: { ...state.verifiers, serviceb: onlyUsers } },
      state.now,
    )
    expect(serviceb?.remaining).toBeUndefined()
  })

  it('says a stale copy is fetched again, and a stopped verifier has none', () => {
    const stale = jwksCountdowns(state, set.staleAt! + 1)[0]
    expect(stale).toMatchObject({ remaining: 0, fraction: 0 })
    expect(stale?.text).toContain('stale')
    const stopped = jwksCountdowns(
      { ...state, verifiers: { serviceb: null, servicec: null } },
      state.now,
    )
    expect(stopped[0]?.text).toContain('serviceb is not answering')
  })
})
