import { z } from 'zod'
import {
  readJsonFile,
  updateJsonFile,
  type FileVersion,
  type JsonFileFormat,
} from '../stores/locked-json-file.ts'

export const REVOCATIONS_FILE_VERSION = 1 as const

/** One revoked token: its `jti`, and its `exp`, after which the entry is no longer needed. */
export interface Revocation {
  jti: string
  exp: number
}

/** Far above a random UUID, the factory's own `jti`; a bound on what one entry can cost. */
export const MAX_JTI_LENGTH = 256

const revocationSchema = z.object({
  jti: z.string().min(1).max(MAX_JTI_LENGTH),
  exp: z.number().int().nonnegative(),
})

const revocationsFileSchema = z.object({
  version: z.literal(REVOCATIONS_FILE_VERSION),
  revoked: z.array(revocationSchema),
})

type RevocationsFile = z.output<typeof revocationsFileSchema>

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

const REVOCATIONS_FORMAT: JsonFileFormat<RevocationsFile> = {
  schema: revocationsFileSchema,
  empty: () => ({ version: REVOCATIONS_FILE_VERSION, revoked: [] }),
  error: (file, problems, options) => new RevocationsFileError(file, problems, options),
}

/** The revocations on disk and the version read; a missing file is none (version undefined). */
export async function readRevocationsFile(
  file: string,
): Promise<{ revoked: Revocation[]; version: FileVersion | undefined }> {
  const { data, version } = await readJsonFile(file, REVOCATIONS_FORMAT)
  return { revoked: data.revoked, version }
}

/**
 * Read, change, write under the file's lock (two factories on one file both land): atomically,
 * mode 0600 in a 0700 folder, as the users and clients files are.
 */
export async function updateRevocationsFile(
  file: string,
  change: (revoked: Revocation[]) => Revocation[],
): Promise<Revocation[]> {
  const written = await updateJsonFile(file, REVOCATIONS_FORMAT, ({ revoked }) => ({
    version: REVOCATIONS_FILE_VERSION,
    revoked: change([...revoked]).sort((a, b) => a.exp - b.exp || a.jti.localeCompare(b.jti)),
  }))
  return written.revoked
}
