import type { JWTPayload } from '@jwt-factory/jwt'
import { BadRequestError } from '@jwt-factory/server'
import type { FactoryErrorCode } from '../factory-error-code.ts'
import type { Policy } from './policy-file.ts'

type ClaimValue = string | number | boolean

/** Registered claims a service token's body may set freely unless its keyId's rules list them. */
const FREE_SERVICE_CLAIMS = new Set(['iss', 'sub', 'aud'])

const isClaimValue = (v: unknown): v is ClaimValue =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'

/**
 * The values a claim carries, as the policy lists them: `scope` is space-delimited (RFC 8693
 * §4.2), an array is its elements. Anything else (an object, null) fits no list of values.
 */
function valuesOf(claim: string, value: unknown): ClaimValue[] | undefined {
  if (claim === 'scope' && typeof value === 'string')
    return value.split(' ').filter((v) => v !== '')
  if (Array.isArray(value)) return value.every(isClaimValue) ? value : undefined
  return isClaimValue(value) ? [value] : undefined
}

const invalidClaims = (message: string) =>
  new BadRequestError<FactoryErrorCode>(message, 'ERR_INVALID_CLAIMS')

function checkValues(
  claim: string,
  value: unknown,
  allowed: readonly ClaimValue[],
  subject: string,
): void {
  const values = valuesOf(claim, value)
  if (values === undefined) {
    const kinds = 'a string, number, boolean or array of them'
    throw invalidClaims(`claim "${claim}" must be ${kinds} for ${subject} (claim policy)`)
  }
  const refused = values.find((v) => !allowed.includes(v))
  if (refused !== undefined) {
    const list = allowed.map((a) => JSON.stringify(a)).join(', ')
    throw invalidClaims(
      `claim "${claim}" may not be ${JSON.stringify(refused)} for ${subject} (claim policy allows ${list})`,
    )
  }
}

/**
 * POST /issueToken/:keyId. A keyId without an entry keeps the original demo's behaviour: any
 * custom claim. With an entry, every claim but iss/sub/aud must be listed, and each listed claim
 * (iss/sub/aud included, when listed) may take only its listed values.
 */
export function checkServiceClaims(policy: Policy, keyId: string, claims: JWTPayload): void {
  const rules = policy.services[keyId]?.claims
  if (!rules) return
  for (const [claim, value] of Object.entries(claims)) {
    const allowed = rules[claim]
    if (allowed) {
      checkValues(claim, value, allowed, `keyId ${keyId}`)
    } else if (!FREE_SERVICE_CLAIMS.has(claim)) {
      const listed = Object.keys(rules).join(', ') || 'no custom claim'
      throw invalidClaims(
        `claim "${claim}" is not allowed for keyId ${keyId} (claim policy allows ${listed})`,
      )
    }
  }
}

/** The permission ids of a user's roles, sorted, once each; an undefined role gives none. */
export function permissionsOf(policy: Policy, roles: readonly string[]): string[] {
  return [...new Set(roles.flatMap((role) => policy.roles[role]?.permissions ?? []))].sort()
}

/**
 * POST /login and /totp/validate. For each role of the user, each claim its rules list may take
 * only the listed values: `scope` is checked against the permissions that role contributes, any
 * other claim (`level`, `amr`…) against the token's value. Claims a role does not list are free.
 */
export function checkRoleClaims(
  policy: Policy,
  roles: readonly string[],
  claims: JWTPayload,
): void {
  for (const role of roles) {
    const { permissions = [], claims: rules = {} } = policy.roles[role] ?? {}
    for (const [claim, allowed] of Object.entries(rules)) {
      const value = claim === 'scope' ? permissions.join(' ') : claims[claim]
      if (value !== undefined) checkValues(claim, value, allowed, `role ${role}`)
    }
  }
}
