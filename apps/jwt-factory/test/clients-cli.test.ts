import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { generateSigningKey } from '@jwt-factory/jwt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readClientsFile } from '../src/clients/clients-file.ts'
import { verifyPassword } from '../src/users/password-hash.ts'
import {
  ETCD_AVAILABLE,
  etcdStoreEnv,
  etcdSuiteTitle,
  startTestEtcd,
  type TestEtcd,
} from '../src/stores/etcd/etcd-test-cluster.ts'
import { cleanUp, makeTempDir } from './factory-process.ts'
import { runFactoryCli, runFactoryCliWithEnv } from './users-cli-process.ts'

/** `npm run clients -- …` as a real child process on a temporary clients file. */
let dir: string
let file: string
const clients = (args: string[], stdin = '') => runFactoryCli('clients', file, args, stdin)
const client = async (name: string) => (await readClientsFile(file)).find((c) => c.name === name)

const SECRET = 'servicea-client-secret-0123456789'

beforeAll(async () => {
  dir = await makeTempDir('jwt-factory-clients-cli-')
  file = join(dir, 'data', 'clients.json')
})
afterAll(() => cleanUp())

describe('npm run clients', () => {
  it('adds a client with the secret from stdin: hashed, never stored, mode 0600 in a 0700 folder', async () => {
    const r = await clients(['add', 'servicea'], `${SECRET}\n`)
    expect(r).toMatchObject({ code: 0, stdout: 'added servicea (a secret)\n' })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(dirname(file))).mode & 0o777).toBe(0o700)
    const a = await client('servicea')
    expect(await verifyPassword(SECRET, a!.secret!)).toBe(true)
    expect(await readFile(file, 'utf8')).not.toContain(SECRET)
  })

  it('refuses a second add (1), a bad or reserved name (2), a missing or short secret (1)', async () => {
    const refusals: [string[], string, number, string][] = [
      [['add', 'servicea'], `${SECRET}\n`, 1, 'servicea exists already'],
      [['add', '../x'], `${SECRET}\n`, 2, 'keyId must be'],
      [['add', 'users'], `${SECRET}\n`, 2, 'reserved'],
      [['add', 'serviceb'], '', 1, 'no secret on stdin'],
      [['add', 'serviceb'], 'too-short\n', 1, '16 to 1024 characters'],
      [['add', 'serviceb', '--jwks', 'a', '--public-key', 'b'], '', 2, 'not both'],
      [['frobnicate'], '', 2, 'unknown command frobnicate'],
    ]
    for (const [args, stdin, code, message] of refusals) {
      const r = await clients(args, stdin)
      expect(r, args.join(' ')).toMatchObject({ code, stderr: expect.stringContaining(message) })
    }
    expect(await client('serviceb')).toBeUndefined()
  })

  it('adds a private_key_jwt client from a JWKS file or a public key PEM; a bad JWKS writes nothing', async () => {
    const ec = await generateSigningKey('ES256')
    const jwks = join(dir, 'serviceb.jwks.json')
    await writeFile(jwks, JSON.stringify({ keys: [{ ...ec.publicJwk, kid: 'b-1' }] }))
    expect(await clients(['add', 'serviceb', '--jwks', jwks])).toMatchObject({
      code: 0,
      stdout: 'added serviceb (1 public key(s))\n',
    })
    expect((await client('serviceb'))?.keys).toEqual([
      {
        kty: 'EC',
        crv: 'P-256',
        x: ec.publicJwk.x,
        y: ec.publicJwk.y,
        kid: 'b-1',
        alg: 'ES256',
        use: 'sig',
      },
    ])

    const rsa = await generateSigningKey('RS256')
    const pem = join(dir, 'servicec.pem')
    await writeFile(pem, rsa.publicPem)
    expect(await clients(['add', 'servicec', '--public-key', pem])).toMatchObject({ code: 0 })
    expect((await client('servicec'))?.keys?.[0]).toMatchObject({ kid: rsa.kid, alg: 'RS256' })

    const before = await readFile(file, 'utf8')
    const privateJwks = join(dir, 'private.jwks.json')
    await writeFile(
      privateJwks,
      JSON.stringify({ keys: [ec.privateKeyObject.export({ format: 'jwk' })] }),
    )
    const notJwks = join(dir, 'not.jwks.json')
    await writeFile(notJwks, '{"keys": "none"}')
    for (const [path, message] of [
      [privateJwks, 'private or secret key'],
      [notJwks, 'not a JWKS'],
      [join(dir, 'missing.json'), 'cannot read'],
    ]) {
      expect(await clients(['add', 'serviced', '--jwks', path!])).toMatchObject({
        code: 1,
        stderr: expect.stringContaining(message!),
      })
    }
    expect(await readFile(file, 'utf8')).toBe(before)
  })

  it('lists names and how each authenticates, never a secret or a hash', async () => {
    const r = await clients(['list'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+AUTH\s+CREATED$/)
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['servicea', 'client_secret'],
      ['serviceb', 'private_key_jwt'],
      ['servicec', 'private_key_jwt'],
    ])
    const a = await client('servicea')
    expect(r.stdout).not.toContain(a!.secret!.hash)
    expect(r.stdout).not.toContain(a!.secret!.salt)
  })

  it('rotates a secret (the old one stops verifying); refuses it for a key-based or unknown client', async () => {
    const newSecret = 'servicea-rotated-secret-9876543210'
    expect(await clients(['rotate-secret', 'servicea'], `${newSecret}\n`)).toMatchObject({
      code: 0,
    })
    const a = await client('servicea')
    expect(await verifyPassword(newSecret, a!.secret!)).toBe(true)
    expect(await verifyPassword(SECRET, a!.secret!)).toBe(false)
    expect(await clients(['rotate-secret', 'serviceb'], `${newSecret}\n`)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('authenticates with public keys'),
    })
    expect(await clients(['rotate-secret', 'nobody'], `${newSecret}\n`)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no client nobody'),
    })
  })

  it('removes a client; removing an unknown one is refused', async () => {
    expect(await clients(['remove', 'servicec'])).toMatchObject({
      code: 0,
      stdout: 'removed servicec\n',
    })
    expect(await client('servicec')).toBeUndefined()
    expect(await clients(['remove', 'servicec'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no client servicec'),
    })
  })

  it('keeps every client when several CLI processes add at once (the file lock)', async () => {
    const names = ['con-1', 'con-2', 'con-3', 'con-4']
    const results = await Promise.all(names.map((n) => clients(['add', n], `${SECRET}-${n}\n`)))
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0])
    const stored = (await readClientsFile(file)).map((c) => c.name)
    expect(stored).toEqual(expect.arrayContaining(names))
    expect(stored).toHaveLength(names.length + 2)
  })
})

describe('npm run clients -- ensure NAME --secret-file FILE (the deploy Job, run again and again)', () => {
  let ensureFile: string
  const ensure = (name: string, secretFile: string) =>
    runFactoryCli('clients', ensureFile, ['ensure', name, '--secret-file', secretFile])
  const secretFile = async (name: string, secret: string) => {
    const path = join(dir, `${name}.secret`)
    await writeFile(path, `${secret}\n`, { mode: 0o600 })
    return path
  }
  const stored = async () => readClientsFile(ensureFile)

  beforeAll(() => {
    ensureFile = join(dir, 'data', 'ensure-clients.json')
  })

  it("adds the client with the file's secret; run again it writes nothing; a new secret replaces the old", async () => {
    const first = await secretFile('first', SECRET)
    expect(await ensure('servicea', first)).toMatchObject({
      code: 0,
      stdout: `added servicea (the secret of ${first})\n`,
    })
    const written = await readFile(ensureFile, 'utf8')
    const { mtimeMs } = await stat(ensureFile)
    expect(await ensure('servicea', first)).toMatchObject({
      code: 0,
      stdout: `servicea has the secret of ${first} already; nothing changed\n`,
    })
    expect(await readFile(ensureFile, 'utf8')).toBe(written)
    expect((await stat(ensureFile)).mtimeMs).toBe(mtimeMs)

    const second = await secretFile('second', `${SECRET}-new`)
    expect(await ensure('servicea', second)).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`changed the secret of servicea to that of ${second}`),
    })
    const clients = await stored()
    expect(clients.map((c) => c.name)).toEqual(['servicea'])
    expect(await verifyPassword(`${SECRET}-new`, clients[0]!.secret!)).toBe(true)
    expect(await verifyPassword(SECRET, clients[0]!.secret!)).toBe(false)
    expect(written).not.toContain(SECRET)
  })

  it('three services and a retry at once leave exactly one client each, with its own secret', async () => {
    const names = ['serviceb', 'servicec', 'serviced']
    const files = await Promise.all(names.map((n) => secretFile(n, `${SECRET}-${n}`)))
    const runs = [...names.map((n, i) => ensure(n, files[i]!)), ensure('serviceb', files[0]!)]
    expect((await Promise.all(runs)).map((r) => r.code)).toEqual([0, 0, 0, 0])
    const clients = await stored()
    expect(clients.map((c) => c.name).sort()).toEqual(['servicea', ...names])
    for (const [i, name] of names.entries()) {
      const client = clients.find((c) => c.name === name)!
      expect(await verifyPassword(`${SECRET}-${name}`, client.secret!), name).toBe(true)
      expect(await verifyPassword(`${SECRET}-${names[(i + 1) % 3]}`, client.secret!)).toBe(false)
    }
  })

  it('refuses: no --secret-file (2), a file it cannot read, a short secret, a key-based client (1)', async () => {
    const ec = await generateSigningKey('ES256')
    const jwks = join(dir, 'keyed.jwks.json')
    await writeFile(jwks, JSON.stringify({ keys: [{ ...ec.publicJwk, kid: 'k-1' }] }))
    const added = await runFactoryCli('clients', ensureFile, ['add', 'keyed', '--jwks', jwks])
    expect(added.code).toBe(0)
    const before = await readFile(ensureFile, 'utf8')
    const short = await secretFile('short', 'too-short')
    const long = await secretFile('long', SECRET)
    const refusals: [string[], number, string][] = [
      [['ensure', 'servicea'], 2, 'ensure needs --secret-file FILE'],
      [['ensure', 'servicea', '--secret-file', join(dir, 'missing')], 1, 'cannot read'],
      [['ensure', 'servicea', '--secret-file', short], 1, '16 to 1024 characters'],
      [['ensure', 'keyed', '--secret-file', long], 1, 'authenticates with public keys'],
      [['ensure', '../x', '--secret-file', long], 2, 'keyId must be'],
    ]
    for (const [args, code, message] of refusals) {
      const r = await runFactoryCli('clients', ensureFile, args)
      expect(r, args.join(' ')).toMatchObject({ code, stderr: expect.stringContaining(message) })
    }
    expect(await readFile(ensureFile, 'utf8')).toBe(before)
  })
})

describe.skipIf(!ETCD_AVAILABLE)(
  etcdSuiteTitle('clients ensure on etcd, as the deploy Job runs it: three at once, then again'),
  () => {
    let etcd: TestEtcd
    let env: Record<string, string>
    const names = ['servicea', 'serviceb', 'servicec']
    const files: string[] = []
    const ensureAll = () =>
      Promise.all(
        names.map((name, i) =>
          runFactoryCliWithEnv('clients', env, ['ensure', name, '--secret-file', files[i]!]),
        ),
      )

    beforeAll(async () => {
      etcd = await startTestEtcd({ members: 1 })
      const etcdDir = await makeTempDir('clients-cli-etcd-')
      env = {
        ...etcdStoreEnv(etcd, join(etcdDir, 'store.kek')),
      }
      // The KEK as prepare makes it and the Job mounts it: there before the CLI runs.
      await writeFile(env.STORE_KEK_FILE!, `${randomBytes(32).toString('base64')}\n`, {
        mode: 0o600,
      })
      for (const name of names) {
        files.push(join(etcdDir, name))
        await writeFile(files.at(-1)!, `${randomBytes(32).toString('base64url')}\n`, {
          mode: 0o600,
        })
      }
    }, 60_000)
    afterAll(() => etcd?.stop())

    it('adds each client once; run again, each finds its own secret in place and writes nothing', async () => {
      const first = await ensureAll()
      expect(first.map((r) => r.code)).toEqual([0, 0, 0])
      expect(first.map((r) => r.stdout)).toEqual(
        names.map((name, i) => `added ${name} (the secret of ${files[i]})\n`),
      )
      // Matching its stored hash is what makes ensure leave a client alone.
      const again = await ensureAll()
      expect(again.map((r) => r.stdout)).toEqual(
        names.map((name, i) => `${name} has the secret of ${files[i]} already; nothing changed\n`),
      )
      const listed = await runFactoryCliWithEnv('clients', env, ['list'])
      const rows = listed.stdout.trimEnd().split('\n').slice(1)
      expect(rows.map((row) => row.split(/\s+/)[0]).sort()).toEqual(names)
    })
  },
)
