import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ensureDirectory, writeFileAtomic } from '@jwt-factory/server'
import { createCertificateAuthority } from './certificate-authority.ts'
import { type CertificatePaths, certificatePaths } from './certificate-files.ts'
import { type CertificateSet, checkCertificateSet } from './check-certificate-set.ts'
import { DEFAULT_SERVER_HOSTS, issueServerCertificate } from './server-certificate.ts'
import { serializeByKey } from './serialize-by-key.ts'

export interface EnsureCertificatesOptions {
  /** Recreate the CA and the server certificate even when the current ones are usable. */
  force?: boolean
}

export interface EnsureCertificatesResult {
  /** True when a new CA and server certificate were written. */
  created: boolean
  paths: CertificatePaths
  /** Why they were (re)created; absent when the existing ones were kept. */
  reason?: string
}

/** A server certificate closer to expiry than this is replaced before it can break a run. */
const MIN_REMAINING_DAYS = 7
const KEY_MODE = 0o600
const CERT_MODE = 0o644
const DIRECTORY_MODE = 0o700

/**
 * Makes sure `dir` holds the project's CA and a server certificate for localhost it signed.
 * Usable files are kept; otherwise all four are recreated together, since a new CA invalidates
 * every certificate issued before it. Calls for the same folder run one at a time, so two
 * concurrent callers cannot interleave their writes into a mismatched set.
 */
export function ensureCertificates(
  dir: string,
  options: EnsureCertificatesOptions = {},
): Promise<EnsureCertificatesResult> {
  const folder = resolve(dir)
  return serializeByKey(folder, () => ensureNow(folder, options.force ?? false))
}

async function ensureNow(dir: string, force: boolean): Promise<EnsureCertificatesResult> {
  const paths = certificatePaths(dir)
  const reason = force ? 'forced' : await unusableReason(paths)
  if (reason === undefined) return { created: false, paths }

  await ensureDirectory(dir, DIRECTORY_MODE)
  const ca = await createCertificateAuthority()
  const server = await issueServerCertificate(ca, { hosts: DEFAULT_SERVER_HOSTS })
  // The CA first: if the process dies half-way, the old server certificate no longer matches the
  // new CA, and the next run recreates everything instead of keeping a mismatched set.
  await writeFileAtomic(paths.caKey, ca.keyPem, { mode: KEY_MODE })
  await writeFileAtomic(paths.ca, ca.certPem, { mode: CERT_MODE })
  await writeFileAtomic(paths.serverKey, server.keyPem, { mode: KEY_MODE })
  await writeFileAtomic(paths.server, server.certPem, { mode: CERT_MODE })
  return { created: true, paths, reason }
}

async function unusableReason(paths: CertificatePaths): Promise<string | undefined> {
  const set: Partial<CertificateSet> = {}
  const files = [
    ['caPem', paths.ca],
    ['caKeyPem', paths.caKey],
    ['serverPem', paths.server],
    ['serverKeyPem', paths.serverKey],
  ] as const
  for (const [field, path] of files) {
    try {
      set[field] = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `${path} is missing`
      throw err
    }
  }
  return checkCertificateSet(set as CertificateSet, {
    hosts: DEFAULT_SERVER_HOSTS,
    minRemainingDays: MIN_REMAINING_DAYS,
  })
}
