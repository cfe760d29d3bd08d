import { z } from 'zod'
import { passwordHashSchema } from './password-hash.ts'

/**
 * A user name is the `sub` of their tokens and the first half of `name:password` in Basic
 * credentials, so it holds no ':' (RFC 7617 §2) and nothing that needs escaping in a log line.
 */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/
/** Role and permission ids, as the policy file and the `scope` claim hold them (RFC 6749 §3.3). */
export const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
export const PERMISSION_ID = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/

export const userNameSchema = z
  .string()
  .regex(
    USER_NAME,
    'must be 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
  )
export const roleNameSchema = z
  .string()
  .regex(
    ROLE_NAME,
    'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  )

/** RFC 4648 base32 without padding, as authenticator apps read it; 16+ characters is 80+ bits. */
const base32Secret = z
  .string()
  .regex(/^[A-Z2-7]{16,128}$/, 'must be base32 (A-Z, 2-7), 16-128 characters')

export const userSchema = z
  .object({
    name: userNameSchema,
    password: passwordHashSchema,
    roles: z.array(roleNameSchema),
    totpSecret: base32Secret.optional(),
    locked: z.boolean(),
    created: z.iso.datetime(),
    updated: z.iso.datetime(),
  })
  .strict()

export type UserRecord = z.output<typeof userSchema>

export const USERS_FILE_VERSION = 1

export const usersFileSchema = z
  .object({
    version: z.literal(USERS_FILE_VERSION),
    users: z.array(userSchema),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    for (const [i, { name }] of file.users.entries()) {
      if (seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'name'],
          message: `duplicate user ${name}`,
        })
      }
      seen.add(name)
    }
  })

export type UsersFile = z.output<typeof usersFileSchema>
