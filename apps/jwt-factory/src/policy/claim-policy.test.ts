import { HttpError } from '@jwt-factory/server'
import { describe, expect, it } from 'vitest'
import { checkRoleClaims, checkServiceClaims, permissionsOf } from './claim-policy.ts'
import { parsePolicy } from './policy-file.ts'

const policy = parsePolicy(
  {
    roles: {
      admin: { permissions: ['app-view', 'app-manage'], claims: { level: [3] } },
      viewer: { permissions: ['app-view'], claims: { scope: ['app-view'], level: [2, 3] } },
      auditor: { permissions: ['audit-read', 'app-view'] },
    },
    services: {
      reports: {
        claims: { scope: ['reports:read', 'reports:write'], level: [1, 2], aud: ['serviceb'] },
      },
      closed: { claims: {} },
    },
  },
  'test policy',
)

function refusal(check: () => void): string {
  try {
    check()
  } catch (err) {
    if (err instanceof HttpError && err.status === 400 && err.code === 'ERR_INVALID_CLAIMS')
      return err.message
    throw err
  }
  throw new Error('not refused')
}

describe('service claim policy', () => {
  it('keeps the original behaviour for a keyId without an entry', () => {
    expect(() =>
      checkServiceClaims(policy, 'servicea', {
        aud: 'x',
        anything: { nested: true },
        scope: 'root',
      }),
    ).not.toThrow()
  })

  it('allows listed claims with listed values, word by word for scope', () => {
    expect(() =>
      checkServiceClaims(policy, 'reports', {
        iss: 'i',
        sub: 'reports',
        aud: 'serviceb',
        scope: 'reports:read reports:write',
        level: 2,
      }),
    ).not.toThrow()
    expect(() =>
      checkServiceClaims(policy, 'reports', { aud: ['serviceb'], scope: 'reports:read' }),
    ).not.toThrow()
  })

  it('refuses, naming the claim, what is outside the policy', () => {
    expect(
      refusal(() => checkServiceClaims(policy, 'reports', { scope: 'reports:read admin' })),
    ).toMatch(/claim "scope" may not be "admin" for keyId reports/)
    expect(refusal(() => checkServiceClaims(policy, 'reports', { level: 3 }))).toMatch(
      /claim "level" may not be 3/,
    )
    expect(refusal(() => checkServiceClaims(policy, 'reports', { level: '2' }))).toMatch(
      /claim "level" may not be "2"/,
    )
    expect(refusal(() => checkServiceClaims(policy, 'reports', { dept: 'x' }))).toMatch(
      /claim "dept" is not allowed for keyId reports/,
    )
    expect(refusal(() => checkServiceClaims(policy, 'reports', { aud: 'servicec' }))).toMatch(
      /claim "aud" may not be "servicec"/,
    )
    expect(refusal(() => checkServiceClaims(policy, 'reports', { level: { gt: 1 } }))).toMatch(
      /claim "level" must be a string, number, boolean/,
    )
    expect(refusal(() => checkServiceClaims(policy, 'closed', { scope: 'x' }))).toMatch(
      /claim "scope" is not allowed for keyId closed \(claim policy allows no custom claim\)/,
    )
    expect(() =>
      checkServiceClaims(policy, 'closed', { aud: 'anyone', sub: 'closed' }),
    ).not.toThrow()
  })
})

describe('role claim policy', () => {
  it("gives each user the union of their roles' permissions", () => {
    expect(permissionsOf(policy, ['viewer', 'auditor', 'unknown'])).toEqual([
      'app-view',
      'audit-read',
    ])
  })

  it('checks each listed claim of each role: here admin needs level 3', () => {
    expect(() => checkRoleClaims(policy, ['viewer'], { level: 2, scope: 'app-view' })).not.toThrow()
    expect(() => checkRoleClaims(policy, ['admin'], { level: 3 })).not.toThrow()
    expect(refusal(() => checkRoleClaims(policy, ['viewer', 'admin'], { level: 2 }))).toMatch(
      /claim "level" may not be 2 for role admin/,
    )
    expect(() => checkRoleClaims(policy, ['auditor', 'unknown'], { level: 2 })).not.toThrow()
  })
})
