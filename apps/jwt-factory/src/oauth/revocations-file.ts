import { z } from 'zod'
import type { JsonFileFormat } from '../stores/locked-json-file.ts'

export const REVOCATIONS_FILE_VERSION = 1 as const

/** One revoked token: its `jti`, and its `exp`, after which the entry is no longer needed. */
export interface Revocation {
  jti: string
  exp: number
}

/** Far above a random UUID, the factory's own `jti`; a bound on what one entry can cost. */
export const MAX_JTI_LENGTH = 256

export const revocationSchema = z
  .object({
    jti: z.string().min(1).max(MAX_JTI_LENGTH),
    exp: z.number().int().nonnegative(),
  })
  .strict()

const revocationsFileSchema = z.object({
  version: z.literal(REVOCATIONS_FILE_VERSION),
  revoked: z.array(revocationSchema),
})

export type RevocationsFile = z.output<typeof revocationsFileSchema>

/** The revocations file could not be read or is not one. Never quotes the content. */
export class RevocationsFileError extends Error {
  override name = 'RevocationsFileError'
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`${file}: ${problems.join('; ')}`, options)
  }
}

/** The revocations, in the file or in a KV store (oauth/revocations-kv-layout.ts). */
export const REVOCATIONS_FORMAT: JsonFileFormat<RevocationsFile> = {
  schema: revocationsFileSchema,
  empty: () => ({ version: REVOCATIONS_FILE_VERSION, revoked: [] }),
  error: (file, problems, options) => new RevocationsFileError(file, problems, options),
}

/** The revocations as the document holds them: soonest to expire first. */
export const revocationsFileOf = (revoked: readonly Revocation[]): RevocationsFile => ({
  version: REVOCATIONS_FILE_VERSION,
  revoked: [...revoked].sort((a, b) => a.exp - b.exp || a.jti.localeCompare(b.jti)),
})
