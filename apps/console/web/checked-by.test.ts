import { describe, expect, it } from 'vitest'
import { checkedBy } from './checked-by.ts'

describe('checkedBy', () => {
  it('says nothing when the verifier ran the check alone', () => {
    expect(checkedBy({}, 'serviceb')).toBeUndefined()
    expect(checkedBy({ by: [] }, 'serviceb')).toBeUndefined()
    expect(checkedBy({ by: ['serviceb'] }, 'serviceb')).toBeUndefined()
  })

  it('names the mesh when its sidecar ran the check, and both when both did', () => {
    expect(checkedBy({ by: ['mesh'] }, 'serviceb')).toBe('checked by the mesh')
    expect(checkedBy({ by: ['mesh', 'serviceb'] }, 'serviceb')).toBe(
      'checked by the mesh and serviceb',
    )
  })
})
