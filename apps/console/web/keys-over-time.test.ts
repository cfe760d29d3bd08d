import { describe, expect, it } from 'vitest'
import type { ControlState } from '@jwt-factory/console/api'
import type { KeyState } from '@jwt-factory/factory'
import fixture from './fixtures/control-state.json' with { type: 'json' }
import { oldKey } from './keys-over-time.ts'

const withKeys = (servicea: KeyState[]): ControlState => ({
  ...(fixture as ControlState),
  factory: { keys: { servicea }, jwksFault: 'none' },
})

describe('oldKey', () => {
  it('is the newest key that no longer signs: the one a rotation just replaced', () => {
    const state = withKeys([
      { kid: 'first', alg: 'ES256', active: false, createdAt: 1 },
      { kid: 'second', alg: 'ES256', active: false, createdAt: 2 },
      { kid: 'third', alg: 'ES256', active: true, createdAt: 3 },
    ])
    expect(oldKey(state)?.kid).toBe('second')
  })

  it("takes the factory's order when the keys say no creation time", () => {
    const state = withKeys([
      { kid: 'first', alg: 'ES256', active: false },
      { kid: 'second', alg: 'ES256', active: false },
      { kid: 'third', alg: 'ES256', active: true },
    ])
    expect(oldKey(state)?.kid).toBe('second')
  })

  it('is none when only the active key is left, or the factory is not answering', () => {
    expect(oldKey(withKeys([{ kid: 'only', alg: 'ES256', active: true }]))).toBeUndefined()
    expect(oldKey({ ...(fixture as ControlState), factory: null })).toBeUndefined()
    expect(oldKey(undefined)).toBeUndefined()
  })
})
