import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ensureDirectory, writeFileAtomic } from '@jwt-factory/files'
import type { CertificateAndKey } from './certificate-and-key.ts'
import { createCertificateAuthority } from './certificate-authority.ts'
import {
  type CertificatePaths,
  certificatePaths,
  type ClientCertificatePaths,
  clientCertificatePaths,
} from './certificate-files.ts'
import {
  type CertificateSet,
  checkCertificateSet,
  checkClientCertificate,
} from './check-certificate-set.ts'
import { issueClientCertificate } from './client-certificate.ts'
import { DEFAULT_SERVER_HOSTS, issueServerCertificate } from './server-certificate.ts'
import { serializeByKey } from './serialize-by-key.ts'

/** The demo's services: each gets a client certificate named after it (CN) for mutual TLS. */
export const DEFAULT_CLIENT_NAMES: readonly string[] = ['servicea', 'serviceb', 'servicec']

export interface EnsureCertificatesOptions {
  /** Recreate the CA and the server certificate even when the current ones are usable. */
  force?: boolean
  /** Services to make a client certificate for; default servicea, serviceb, servicec. */
  clients?: readonly string[]
}

export interface EnsureCertificatesResult {
  /** True when a new CA and server certificate were written. */
  created: boolean
  paths: CertificatePaths
  /** Why they were (re)created; absent when the existing ones were kept. */
  reason?: string
  /** Each service's client certificate and key (`<name>.pem`, `<name>-key.pem`). */
  clients: Record<string, ClientCertificatePaths>
  /** The client certificates written by this call (all of them when the CA is new). */
  clientsCreated: string[]
}

/** A server certificate closer to expiry than this is replaced before it can break a run. */
const MIN_REMAINING_DAYS = 7
const KEY_MODE = 0o600
const CERT_MODE = 0o644
const DIRECTORY_MODE = 0o700

/**
 * Makes sure `dir` holds the project's CA, a server certificate for localhost it signed, and a
 * client certificate per service (CN = the service's name, for mutual TLS with an exposed
 * factory). Usable files are kept; otherwise the CA and server files are recreated together,
 * with every client certificate, since a new CA invalidates every certificate issued before it.
 * Calls for the same folder run one at a time, so two concurrent callers cannot interleave their
 * writes into a mismatched set.
 */
export function ensureCertificates(
  dir: string,
  options: EnsureCertificatesOptions = {},
): Promise<EnsureCertificatesResult> {
  const folder = resolve(dir)
  const names = [...new Set(options.clients ?? DEFAULT_CLIENT_NAMES)]
  // Bad names are a programmer's mistake: refused before anything is written.
  const clients = Object.fromEntries(
    names.map((name) => [name, clientCertificatePaths(folder, name)]),
  )
  return serializeByKey(folder, async () => {
    // Before any write, the kept-set path included: a client certificate may still be written.
    await ensureDirectory(folder, DIRECTORY_MODE)
    const set = await ensureSet(folder, options.force ?? false)
    const clientsCreated = await ensureClients(set.ca, clients, set.created)
    return {
      created: set.created,
      paths: set.paths,
      ...(set.reason ? { reason: set.reason } : {}),
      clients,
      clientsCreated,
    }
  })
}

async function ensureSet(dir: string, force: boolean) {
  const paths = certificatePaths(dir)
  const reason = force ? 'forced' : await unusableReason(paths)
  if (reason === undefined) {
    const ca = {
      certPem: await readFile(paths.ca, 'utf8'),
      keyPem: await readFile(paths.caKey, 'utf8'),
    }
    return { created: false, paths, ca }
  }

  const ca = await createCertificateAuthority()
  const server = await issueServerCertificate(ca, { hosts: DEFAULT_SERVER_HOSTS })
  // The CA first: if the process dies half-way, the old server certificate no longer matches the
  // new CA, and the next run recreates everything instead of keeping a mismatched set.
  await writeFileAtomic(paths.caKey, ca.keyPem, { mode: KEY_MODE })
  await writeFileAtomic(paths.ca, ca.certPem, { mode: CERT_MODE })
  await writeFileAtomic(paths.serverKey, server.keyPem, { mode: KEY_MODE })
  await writeFileAtomic(paths.server, server.certPem, { mode: CERT_MODE })
  return { created: true, paths, reason, ca }
}

/**
 * A client certificate per service, kept while usable. One that is missing, expiring, or not from
 * this CA (a new CA makes every earlier one useless) is issued again; the others are left alone.
 */
async function ensureClients(
  ca: CertificateAndKey,
  clients: Record<string, ClientCertificatePaths>,
  newCa: boolean,
): Promise<string[]> {
  const created: string[] = []
  for (const [name, paths] of Object.entries(clients)) {
    if (!newCa && (await clientUsable(ca.certPem, paths, name))) continue
    const client = await issueClientCertificate(ca, { commonName: name })
    // The key first: a crash between the two writes leaves a key the old certificate does not
    // match, which the next run replaces.
    await writeFileAtomic(paths.key, client.keyPem, { mode: KEY_MODE })
    await writeFileAtomic(paths.cert, client.certPem, { mode: CERT_MODE })
    created.push(name)
  }
  return created
}

async function clientUsable(
  caPem: string,
  paths: ClientCertificatePaths,
  name: string,
): Promise<boolean> {
  let client: CertificateAndKey
  try {
    client = {
      certPem: await readFile(paths.cert, 'utf8'),
      keyPem: await readFile(paths.key, 'utf8'),
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
  return (
    checkClientCertificate(caPem, client, name, { minRemainingDays: MIN_REMAINING_DAYS }) ===
    undefined
  )
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
