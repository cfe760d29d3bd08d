/**
 * `npm run certs`: makes sure the project's CA, the localhost server certificate and a client
 * certificate per service exist in <repo>/certs (or $CERTS_DIR), keeping usable ones. `--force`
 * replaces them all.
 */
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureCertificates } from '@jwt-factory/tls'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dir = resolve(process.env.CERTS_DIR ?? resolve(repoRoot, 'certs'))
const unknown = process.argv.slice(2).filter((arg) => arg !== '--force')

if (unknown.length > 0) {
  console.error(`usage: npm run certs [-- --force]   (unknown: ${unknown.join(' ')})`)
  process.exit(2)
}

/** Relative to where the command was run when that is shorter, e.g. certs/ca.pem. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel.startsWith('..') ? path : rel
}

try {
  const force = process.argv.includes('--force')
  const { created, paths, reason, clients, clientsCreated } = await ensureCertificates(dir, {
    force,
  })
  const files = [paths.ca, paths.caKey, paths.server, paths.serverKey].map(shortPath)
  if (created) {
    console.log(`certificates written (${reason}):`)
    for (const file of files) console.log(`  ${file}`)
  } else {
    console.log(`certificates kept (valid, signed by the CA): ${files.join(', ')}`)
  }
  const clientFiles = (names: string[]) =>
    names.flatMap((n) => [clients[n]!.cert, clients[n]!.key]).map(shortPath)
  const kept = Object.keys(clients).filter((name) => !clientsCreated.includes(name))
  if (clientsCreated.length > 0)
    console.log(
      `client certificates written (mutual TLS): ${clientFiles(clientsCreated).join(', ')}`,
    )
  if (kept.length > 0) console.log(`client certificates kept: ${clientFiles(kept).join(', ')}`)
} catch (err) {
  console.error(`cannot create certificates in ${dir}: ${(err as Error).message}`)
  process.exit(1)
}
