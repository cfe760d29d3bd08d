import { randomBytes } from 'node:crypto'
import { readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDirectory, writeFileAtomic } from '@jwt-factory/files'
import { DEPLOYED_APPS } from './deployed-apps.ts'
import { deployEnvFile } from './env-file.ts'
import { makeSecretFiles } from './secret-files.ts'

export interface PrepareOptions {
  /** The checkout: where the committed .env files are read. */
  root: string
  /** The folder deploy/kustomization.yaml reads, deploy/generated. */
  out: string
  /** Replace existing secrets (a new CA, KEK and admin token). */
  force: boolean
}

export class SecretsExistError extends Error {}

const PRIVATE_FOLDER = 0o700
const PRIVATE_FILE = 0o600

/**
 * Writes `out/env/<app>.env` (rewritten every time: they follow the committed files) and
 * `out/secrets/<secret>/<file>` (only when there are none yet, or with `force`). Everything is
 * 0600 in 0700 folders. Returns the files written.
 */
export async function prepare({ root, out, force }: PrepareOptions): Promise<string[]> {
  const secretsDir = join(out, 'secrets')
  const existing = await entries(secretsDir)
  if (existing.length > 0 && !force) {
    throw new SecretsExistError(
      `${secretsDir} already holds secrets (${existing.join(', ')}); --force replaces them all. ` +
        'A new KEK cannot open what etcd holds sealed under the old one: on a deployed cluster, ' +
        'export the store first (docs/19-etcd.md).',
    )
  }
  await ensureDirectory(out, PRIVATE_FOLDER)
  const written = await writeEnvFiles(root, join(out, 'env'))
  // Made beside the old set and swapped in whole, so a failure leaves the old set as it was.
  const staging = join(out, `.secrets.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const files = await writeSecretFiles(await makeSecretFiles(root), staging)
    await rm(secretsDir, { recursive: true, force: true })
    await rename(staging, secretsDir)
    written.push(...files.map((file) => join(secretsDir, file)))
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return written
}

async function writeEnvFiles(root: string, dir: string): Promise<string[]> {
  await ensureDirectory(dir, PRIVATE_FOLDER)
  const written: string[] = []
  for (const app of DEPLOYED_APPS) {
    const path = join(dir, `${app.name}.env`)
    const text = deployEnvFile(join(root, app.envFile), app.envFile, app.setByDeployment)
    await writeFileAtomic(path, text, { mode: PRIVATE_FILE })
    written.push(path)
  }
  return written
}

/** Writes each Secret's files under dir; returns their paths relative to it. */
async function writeSecretFiles(
  secrets: Record<string, Record<string, string>>,
  dir: string,
): Promise<string[]> {
  await ensureDirectory(dir, PRIVATE_FOLDER)
  const written: string[] = []
  for (const [secret, files] of Object.entries(secrets)) {
    await ensureDirectory(join(dir, secret), PRIVATE_FOLDER)
    for (const [name, content] of Object.entries(files)) {
      await writeFileAtomic(join(dir, secret, name), content, { mode: PRIVATE_FILE })
      written.push(join(secret, name))
    }
  }
  return written
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}
