import { z } from 'zod'
import { SIGNING_ALGORITHMS } from '@jwt-factory/jwt'
import { isValidKeyId, RESERVED_KEY_IDS } from '../keys/key-id.ts'
import { passwordHashSchema } from '../users/password-hash.ts'

/** A client_id follows a keyId's rules: the same services register both. */
export const clientNameSchema = z
  .string()
  .refine((name) => isValidKeyId(name) && !RESERVED_KEY_IDS.has(name), 'must be a valid keyId')

/** A public JWK as the factory stores it: no private member (`d`, `p`, `q`, …) passes `strict`. */
const publicJwkSchema = z
  .object({
    kty: z.enum(['RSA', 'EC', 'OKP']),
    kid: z.string().min(1).max(200),
    alg: z.enum(SIGNING_ALGORITHMS),
    use: z.literal('sig'),
    n: z.string().optional(),
    e: z.string().optional(),
    crv: z.string().optional(),
    x: z.string().optional(),
    y: z.string().optional(),
  })
  .strict()

/**
 * One OAuth client: it authenticates either with a secret (only its scrypt hash is kept) or, for
 * private_key_jwt, with assertions signed by one of its public keys.
 */
export const clientSchema = z
  .object({
    name: clientNameSchema,
    secret: passwordHashSchema.optional(),
    keys: z.array(publicJwkSchema).min(1).optional(),
    createdAt: z.iso.datetime(),
  })
  .strict()
  .refine((c) => (c.secret === undefined) !== (c.keys === undefined), {
    message: 'a client has either a secret or keys',
  })

export type ClientRecord = z.output<typeof clientSchema>
export type ClientPublicJwk = z.output<typeof publicJwkSchema>

export const CLIENTS_FILE_VERSION = 1

export const clientsFileSchema = z
  .object({
    version: z.literal(CLIENTS_FILE_VERSION),
    clients: z.array(clientSchema),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    for (const [i, { name }] of file.clients.entries()) {
      if (seen.has(name))
        ctx.addIssue({ code: 'custom', path: ['clients', i, 'name'], message: `duplicate ${name}` })
      seen.add(name)
    }
  })

export type ClientsFile = z.output<typeof clientsFileSchema>
