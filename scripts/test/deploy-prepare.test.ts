import { execFileSync } from 'node:child_process'
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVICE_NAMES } from '../../apps/service/src/config.ts'
import { etcdHosts, inClusterHosts } from '../deploy/cluster-names.ts'
import { DEPLOYED_APPS } from '../deploy/deployed-apps.ts'
import { CLIENT_SECRET_FILE_NAME, clientSecretName } from '../deploy/secret-files.ts'
import { readDeployFiles } from '../deploy-check/deploy-files.ts'
import { deployModel } from '../deploy-check/deploy-model.ts'
import type { Container, PodOwner } from '../deploy-check/kube-objects.ts'
import { mountedSecretFile } from '../deploy-check/secret-mounts.ts'
import { root } from '../demo/cluster.ts'
import { spawnNode } from '../demo/launch.ts'

/** deploy/ copied without generated/, as a fresh clone has it; prepare writes generated/ there. */
let deploy: string
let generated: string
let scratch: string

async function runPrepare(...extra: string[]) {
  const args = [
    '--import',
    'tsx',
    'scripts/deploy/main.ts',
    'prepare',
    '--out',
    generated,
    ...extra,
  ]
  const run = spawnNode({
    name: 'npm run deploy',
    args,
    cwd: root,
    env: { PATH: process.env.PATH ?? '' },
  })
  const { code } = await run.exited
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}

/** Every file under dir, relative to it, and every folder (with a trailing slash). */
async function walk(dir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = relative(dir, join(entry.parentPath, entry.name))
    found.push(entry.isDirectory() ? `${path}/` : path)
  }
  return found.sort()
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777
const read = (...parts: string[]) => readFile(join(generated, 'secrets', ...parts), 'utf8')

/** The files under generated/, as kustomization.yaml names them. */
async function generatedFiles(): Promise<string[]> {
  const entries = await walk(generated)
  return entries.filter((e) => !e.endsWith('/')).map((f) => `generated/${f}`)
}

/** The generated/ files deploy/kustomization.yaml names (its `envs:` and `files:` items). */
async function namedByKustomization(): Promise<string[]> {
  const text = await readFile(join(deploy, 'kustomization.yaml'), 'utf8')
  return [...text.matchAll(/^\s*-\s+(generated\/\S+)\s*$/gm)].map((m) => m[1]!).sort()
}

/** kubectl on PATH, whose `kubectl kustomize` builds what `kubectl apply -k` would apply. */
const kubectl = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'kubectl'))
  .find((path) => existsSync(path))

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'deploy-prepare-'))
  deploy = join(scratch, 'deploy')
  await cp(join(root, 'deploy'), deploy, {
    recursive: true,
    filter: (source) => !relative(join(root, 'deploy'), source).startsWith('generated'),
  })
  generated = join(deploy, 'generated')
  const first = await runPrepare()
  expect(first.code, first.stderr).toBe(0)
  expect(first.stdout).toContain('kubectl apply -k deploy/')
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('npm run deploy -- prepare', () => {
  it('writes exactly the files deploy/kustomization.yaml names, 0600 in 0700 folders', async () => {
    const named = await namedByKustomization()
    expect(named.length).toBeGreaterThan(0)
    expect(await generatedFiles()).toEqual(named)
    const entries = await walk(generated)
    expect(await modeOf(generated)).toBe(0o700)
    for (const entry of entries) {
      const mode = await modeOf(join(generated, entry))
      expect({ entry, mode: mode.toString(8) }).toEqual({
        entry,
        mode: entry.endsWith('/') ? '700' : '600',
      })
    }
  })

  it('copies each committed .env without the variables its Deployment sets', async () => {
    for (const app of DEPLOYED_APPS) {
      const text = await readFile(join(generated, 'env', `${app.name}.env`), 'utf8')
      const keys = text
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => line.slice(0, line.indexOf('=')))
      const committed = await readFile(join(root, app.envFile), 'utf8')
      const committedKeys = [...committed.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]!)
      expect(keys).toEqual(committedKeys.filter((key) => !app.setByDeployment.includes(key)))
      for (const key of app.setByDeployment) expect(keys).not.toContain(key)
      // What prepare leaves out is what the Deployment's env: sets: variable names are the only
      // upper-case names in a manifest.
      const manifest = await readFile(join(root, 'deploy/base', `${app.name}.yaml`), 'utf8')
      const setThere = [...manifest.matchAll(/^\s*- name: ([A-Z][A-Z0-9_]*)$/gm)].map((m) => m[1])
      expect(setThere.sort(), app.name).toEqual([...app.setByDeployment].sort())
    }
    const factory = await readFile(join(generated, 'env', 'jwt-factory.env'), 'utf8')
    expect(factory).toContain('\nPORT=5555\n')
    expect(factory).not.toMatch(/^HOST=/m)
    const serviceb = await readFile(join(generated, 'env', 'serviceb.env'), 'utf8')
    expect(serviceb).toContain('\nHTTPS_PORT=8443\n')
    expect(serviceb).not.toMatch(/^FACTORY_URL=/m)
  })

  it('makes certificates that chain to one CA and carry the in-cluster names', async () => {
    const caPem = await read('jwt-factory-certs', 'ca.pem')
    const ca = new X509Certificate(caPem)
    expect(ca.ca).toBe(true)
    const servers: [string, string[]][] = [
      ['jwt-factory-certs', inClusterHosts('jwt-factory')],
      ['etcd-tls', etcdHosts()],
      ...['servicea', 'serviceb', 'servicec'].map((name): [string, string[]] => [
        `${name}-certs`,
        inClusterHosts(name),
      ]),
    ]
    for (const [secret, hosts] of servers) {
      expect(await read(secret, 'ca.pem')).toBe(caPem)
      const cert = new X509Certificate(await read(secret, 'server.pem'))
      expect(cert.checkIssued(ca) && cert.verify(ca.publicKey), secret).toBe(true)
      for (const host of hosts) {
        const named = isIP(host) ? cert.checkIP(host) : cert.checkHost(host)
        expect(named, `${secret}: ${host}`).toBe(host)
      }
      // Loopback only where a port-forward needs it (etcd, for the CLIs); never on the apps'.
      if (secret !== 'etcd-tls') expect(cert.checkHost('localhost'), secret).toBeUndefined()
      expect(matches(cert, await read(secret, 'server-key.pem')), secret).toBe(true)
    }
    expect(etcdHosts()).toContain('etcd-2.etcd.jwt-factory.svc.cluster.local')
    expect(etcdHosts()).toContain('127.0.0.1')
    const clients: [string, string, string][] = [
      ['jwt-factory-etcd-client', 'client', 'jwt-factory'],
      ...['servicea', 'serviceb', 'servicec'].map((name): [string, string, string] => [
        `${name}-certs`,
        name,
        name,
      ]),
    ]
    for (const [secret, file, commonName] of clients) {
      const cert = new X509Certificate(await read(secret, `${file}.pem`))
      expect(cert.checkIssued(ca) && cert.verify(ca.publicKey), secret).toBe(true)
      expect(cert.subject).toBe(`CN=${commonName}`)
      expect(matches(cert, await read(secret, `${file}-key.pem`)), secret).toBe(true)
    }
  })

  it('makes a 32-byte KEK, an admin token and scenario 3’s key pair', async () => {
    const kek = (await read('jwt-factory-kek', 'store.kek')).trim()
    expect(Buffer.from(kek, 'base64')).toHaveLength(32)
    expect(Buffer.from(kek, 'base64').toString('base64')).toBe(kek)
    expect((await read('jwt-factory-admin', 'admin-token')).trim()).toMatch(/^[\w-]{32,}$/)
    const publicPem = await read('scenario3-public', 'jwt-public.pem')
    expect(await read('servicea-scenario3', 'jwt-public.pem')).toBe(publicPem)
    const derived = createPublicKey(
      createPrivateKey(await read('servicea-scenario3', 'jwt-private.pem')),
    )
    expect(derived.export({ type: 'spki', format: 'pem' })).toBe(publicPem)
  })

  it("gives each service a 32-byte client secret of its own, at its CLIENT_SECRET_FILE, and the Job's container for it the same", async () => {
    const secrets = await Promise.all(
      SERVICE_NAMES.map((name) => read(clientSecretName(name), CLIENT_SECRET_FILE_NAME)),
    )
    for (const secret of secrets) {
      expect(secret).toMatch(/^[\w-]{43}\n$/)
      expect(Buffer.from(secret.trim(), 'base64url')).toHaveLength(32)
    }
    expect(new Set(secrets).size).toBe(SERVICE_NAMES.length)
    // What each pod reads: the service at its CLIENT_SECRET_FILE, the Job at --secret-file.
    const { manifests } = deployModel(root, readDeployFiles(join(root, 'deploy')))
    const owner = (kind: string, name: string) =>
      manifests.find((m) => m.object.kind === kind && m.object.metadata.name === name)!
        .object as PodOwner
    const readsAt = (pod: PodOwner, c: Container, path: string | undefined) =>
      mountedSecretFile(pod.spec.template.spec, c, path ?? '')
    const job = owner('Job', 'jwt-factory-demo-clients')
    for (const name of SERVICE_NAMES) {
      const mine = { secret: clientSecretName(name), file: CLIENT_SECRET_FILE_NAME }
      const deployment = owner('Deployment', name)
      const service = deployment.spec.template.spec.containers[0]!
      const env = service.env?.find((v) => v.name === 'CLIENT_SECRET_FILE')?.value
      expect(readsAt(deployment, service, env), name).toEqual(mine)
      const ensure = job.spec.template.spec.containers.find((c) => c.name === name)!
      const command = ensure.command ?? []
      expect(command.slice(-4, -2), name).toEqual(['ensure', name])
      expect(readsAt(job, ensure, command[command.indexOf('--secret-file') + 1]), name).toEqual(
        mine,
      )
    }
  })

  it('refuses to overwrite the secrets, and replaces them all with --force', async () => {
    const kek = await read('jwt-factory-kek', 'store.kek')
    const refused = await runPrepare()
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('already holds secrets')
    expect(refused.stderr).toContain('--force')
    expect(await read('jwt-factory-kek', 'store.kek')).toBe(kek)

    const forced = await runPrepare('--force')
    expect(forced.code, forced.stderr).toBe(0)
    expect(await read('jwt-factory-kek', 'store.kek')).not.toBe(kek)
    expect(await generatedFiles()).toEqual(await namedByKustomization())
  })

  it.skipIf(kubectl === undefined)(
    'builds with kubectl kustomize into every object the manifests declare (skipped without kubectl)',
    () => {
      const built = execFileSync(kubectl!, ['kustomize', deploy], { encoding: 'utf8' })
      const kinds = [...built.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]!)
      const count = (kind: string) => kinds.filter((k) => k === kind).length
      expect(count('Secret')).toBe(13)
      expect(count('ConfigMap')).toBe(4)
      expect(count('Deployment')).toBe(4)
      expect(count('StatefulSet')).toBe(1)
      expect(count('Job')).toBe(1)
      expect(count('RequestAuthentication')).toBe(3)
      // Every Secret and ConfigMap a pod names is one kustomize generated (its hash suffix).
      const generated = new Set(
        [...built.matchAll(/^  name: (\S+-[a-z0-9]{10})$/gm)].map((m) => m[1]),
      )
      const referenced = [
        ...built.matchAll(
          /^\s+(?:secretName|name): (\S+-(?:env|certs|tls|kek|admin|client|secret|scenario3|public)-[a-z0-9]{10})$/gm,
        ),
      ]
      expect(referenced.length).toBeGreaterThan(20)
      for (const [, name] of referenced) expect(generated.has(name), name).toBe(true)
    },
  )

  it('leaves no secret in deploy/ outside generated/ (what git holds)', async () => {
    const committed = (await walk(join(root, 'deploy'))).filter(
      (path) => !path.endsWith('/') && !path.startsWith('generated/'),
    )
    expect(committed).toContain('kustomization.yaml')
    for (const path of committed) {
      const text = await readFile(join(root, 'deploy', path), 'utf8')
      expect(text, path).not.toMatch(/-----BEGIN|PRIVATE KEY/)
      expect(text, path).not.toMatch(/^kind:\s*Secret\s*$/m)
      expect(text, path).not.toMatch(/^\s*(data|stringData):/m)
    }
    // git check-ignore exits 0 for an ignored path, and 1 (a throw here) for one git would add.
    const secret = 'deploy/generated/secrets/jwt-factory-kek/store.kek'
    execFileSync('git', ['check-ignore', '--quiet', '--no-index', secret], { cwd: root })
  })
})

/** The private key is the certificate's: its public half is the certificate's public key. */
function matches(cert: X509Certificate, keyPem: string): boolean {
  const pub = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' })
  return pub(createPublicKey(createPrivateKey(keyPem))).equals(pub(cert.publicKey))
}
