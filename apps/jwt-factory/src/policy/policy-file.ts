import { readFile } from 'node:fs/promises'
import { ConfigError } from '@jwt-factory/config'
import { z } from 'zod'
import { clientNameSchema } from '../clients/client-record.ts'
import { isValidKeyId } from '../keys/key-id.ts'
import { PERMISSION_ID, roleNameSchema } from '../users/user-record.ts'

/** Claims the factory always sets itself: a policy cannot allow values for them. */
const FACTORY_CLAIMS = ['exp', 'nbf', 'iat', 'jti']
/** For user tokens the factory sets these too; a role's rules are about the others (scope, level…). */
const USER_TOKEN_CLAIMS = [...FACTORY_CLAIMS, 'iss', 'sub', 'aud']

const PERMISSION_MESSAGE = 'must be a permission id (letters, digits, ":", ".", "_", "-")'
const claimValue = z.union([z.string().min(1), z.number(), z.boolean()])
/** Claim name → every value it may take (apijwt2's `set_allowed`). */
const claimRules = z.record(z.string().min(1).max(64), z.array(claimValue).min(1))

const roleSchema = z
  .object({
    permissions: z.array(z.string().regex(PERMISSION_ID, PERMISSION_MESSAGE)),
    claims: claimRules.default({}),
  })
  .strict()
  .superRefine(({ permissions, claims }, ctx) => {
    for (const claim of Object.keys(claims).filter((c) => USER_TOKEN_CLAIMS.includes(c))) {
      ctx.addIssue({
        code: 'custom',
        path: ['claims', claim],
        message: 'is set by the factory in user tokens',
      })
    }
    // A role whose own permissions its scope rule forbids could never log in: say so at start.
    const scope = claims.scope
    const missing = scope ? permissions.filter((p) => !scope.includes(p)) : []
    if (missing.length > 0) {
      const message = `does not allow the role's own permissions ${missing.join(', ')}`
      ctx.addIssue({ code: 'custom', path: ['claims', 'scope'], message })
    }
  })

const serviceSchema = z
  .object({ claims: claimRules })
  .strict()
  .superRefine(({ claims }, ctx) => {
    for (const claim of Object.keys(claims).filter((c) => FACTORY_CLAIMS.includes(c))) {
      ctx.addIssue({ code: 'custom', path: ['claims', claim], message: 'is set by the factory' })
    }
  })

/** An `aud` value a token exchange may ask for: an audience name or a resource URI, no spaces. */
const exchangeAudience = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, 'must be an audience (1-200 visible characters, no spaces)')

/**
 * Token exchange: a client → the audiences it may exchange a subject token for (RFC 8693 leaves
 * who may obtain which token to the server's policy). A client with no entry may exchange for none:
 * a token meant for a client is not a ticket to every other service.
 */
const exchangeSchema = z.record(
  clientNameSchema,
  z.array(exchangeAudience).refine((a) => new Set(a).size === a.length, 'lists an audience twice'),
)

const policySchema = z
  .object({
    $comment: z.union([z.string(), z.array(z.string())]).optional(),
    roles: z.record(roleNameSchema, roleSchema),
    services: z
      .record(z.string().refine(isValidKeyId, 'must be a valid keyId'), serviceSchema)
      .default({}),
    exchange: exchangeSchema.default({}),
  })
  .strict()

/**
 * Roles → permissions, what may go into a token per role and per keyId, and which client may
 * exchange a token for which audience. Frozen.
 */
export type Policy = z.output<typeof policySchema>

/** Validates a policy object; problems come back as one ConfigError naming `source`. */
export function parsePolicy(value: unknown, source: string): Policy {
  const result = policySchema.safeParse(value)
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.map(String).join('.') || '(file)'}: ${messageOf(i)}`,
    )
    throw new ConfigError(source, problems)
  }
  return deepFreeze(result.data)
}

/** Reads and validates the policy file once, at start. Any problem: a ConfigError naming it. */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError(path, [`cannot read the policy file: ${(err as Error).message}`])
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(path, [`not valid JSON: ${(err as Error).message}`])
  }
  return parsePolicy(value, path)
}

/** A record key's refusal names its rule (zod's own message only says the key is invalid). */
function messageOf(issue: z.core.$ZodIssue): string {
  return issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
