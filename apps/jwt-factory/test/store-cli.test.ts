import { randomBytes } from 'node:crypto'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ETCD_AVAILABLE,
  etcdStoreEnv,
  etcdSuiteTitle,
  startTestEtcd,
  type TestEtcd,
} from '../src/stores/etcd/etcd-test-cluster.ts'
import { Etcd3 } from 'etcd3'
import {
  call,
  cleanUp,
  makeTempDir,
  postJson,
  runFactoryToExit,
  startFactory,
} from './factory-process.ts'
import { runFactoryCliWithEnv, runUsersCli } from './users-cli-process.ts'

/**
 * `npm run store -- import|export` as real processes: a factory's files moved into a real etcd
 * and back, with a token issued before the move still verifying and a user still logging in at a
 * factory on the target, and a target that holds anything refused unless --overwrite.
 */
const TITLE = etcdSuiteTitle('npm run store -- import|export')

const PUBLIC_URL = 'https://factory.test'
const PASSWORD = 'dave-has-a-long-password'

/** A factory's files in a fresh folder: the variables that name them. */
async function filesAt(name: string): Promise<Record<string, string>> {
  const dir = await makeTempDir(`store-cli-${name}-`)
  return {
    KEYS_DIR: join(dir, 'keys'),
    USERS_FILE: join(dir, 'users.json'),
    CLIENTS_FILE: join(dir, 'clients.json'),
    REVOCATIONS_FILE: join(dir, 'revocations.json'),
  }
}
const login = (url: string) =>
  call(`${url}/login`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`dave:${PASSWORD}`).toString('base64')}` },
  })
const verify = (url: string, token: string) =>
  postJson(`${url}/verify/servicea`, { token, aud: 'serviceb', sub: 'servicea' })

describe.skipIf(!ETCD_AVAILABLE)(TITLE, () => {
  let etcd: TestEtcd
  let etcdEnv: Record<string, string>
  let source: Record<string, string>
  let token: string

  beforeAll(async () => {
    etcd = await startTestEtcd({ members: 1 })
    const dir = await makeTempDir('store-cli-kek-')
    etcdEnv = {
      ...etcdStoreEnv(etcd, join(dir, 'store.kek')),
      PUBLIC_URL,
    }
    // A factory on files, as npm start runs it: a key, a token, a user.
    source = await filesAt('source')
    const added = await runUsersCli(
      source.USERS_FILE!,
      ['add', 'dave', '--role', 'viewer'],
      `${PASSWORD}\n`,
    )
    expect(added.code, added.stderr).toBe(0)
    const files = await startFactory({ keysDir: source.KEYS_DIR!, env: { ...source, PUBLIC_URL } })
    expect((await call(`${files.url}/keys/servicea`)).status).toBe(201)
    token = (await postJson(`${files.url}/issueToken/servicea`, { aud: 'serviceb' })).text
    expect((await verify(files.url, token)).status).toBe(200)
    await files.stop()
  }, 60_000)

  afterAll(async () => {
    await cleanUp()
    await etcd?.stop()
  }, 30_000)

  it('import moves the files into etcd: a factory there verifies the old token and logs the user in', async () => {
    const imported = await runFactoryCliWithEnv('store', { ...source, ...etcdEnv }, ['import'])
    expect(imported, imported.stderr).toMatchObject({ code: 0 })
    expect(imported.stdout).toBe(
      'copied into etcd: servicea, users (user key); 1 user(s), 0 client(s), 0 revocation(s)\n',
    )
    // Its own files are empty: everything it knows comes from etcd.
    const empty = await filesAt('etcd-factory')
    const onEtcd = await startFactory({ keysDir: empty.KEYS_DIR!, env: { ...empty, ...etcdEnv } })
    expect((await verify(onEtcd.url, token)).status).toBe(200)
    expect((await login(onEtcd.url)).status).toBe(200)
    await onEtcd.stop()
  })

  it('import again: refused, naming what etcd holds, and nothing is written', async () => {
    const again = await runFactoryCliWithEnv('store', { ...source, ...etcdEnv }, ['import'])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(
      /^store: etcd http:\/\/127\.0\.0\.1:\d+ holds 1 keyId\(s\), 1 user key\(s\), 1 user\(s\) already; --overwrite replaces them \(nothing copied\)\n$/,
    )
  })

  it('a factory with another key-encryption key, or none, does not start: it names STORE_KEK_FILE', async () => {
    const dir = await makeTempDir('store-cli-other-kek-')
    const other = join(dir, 'other.kek')
    await writeFile(other, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
    const missing = join(dir, 'missing.kek')
    const files = await filesAt('other-kek')
    const start = (kek: string) =>
      runFactoryToExit({
        keysDir: files.KEYS_DIR!,
        env: { ...files, ...etcdEnv, STORE_KEK_FILE: kek },
      })
    const wrong = await start(other)
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(
      /STORE_KEK_FILE: .*is not the key-encryption key the values in etcd/,
    )
    // On loopback a factory makes a missing file, but not for a store sealed under another one.
    const none = await start(missing)
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/STORE_KEK_FILE: .*missing\.kek: missing/)
    await expect(stat(missing)).rejects.toThrow(/ENOENT/)
  })

  it('export refuses a store holding a value it cannot read: a move would leave it behind', async () => {
    const raw = new Etcd3({ hosts: etcd.endpoints })
    const key = `${etcdEnv.ETCD_PREFIX}users/zed`
    await raw.put(key).value('{not json')
    try {
      const target = await filesAt('refused')
      const run = await runFactoryCliWithEnv('store', { ...target, ...etcdEnv }, ['export'])
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/holds 1 value\(s\) that cannot be read .*nothing copied\n$/)
      expect(run.stderr).toContain('users/zed')
    } finally {
      await raw.delete().key(key)
      raw.close()
    }
  })

  it('export moves etcd back into fresh files, private keys 0600, and a factory on them serves as before', async () => {
    const target = await filesAt('target')
    const exported = await runFactoryCliWithEnv('store', { ...target, ...etcdEnv }, ['export'])
    expect(exported, exported.stderr).toMatchObject({ code: 0 })
    expect(exported.stdout).toMatch(/^copied into the files: servicea, users \(user key\); 1 user/)
    expect((await stat(join(target.KEYS_DIR!, 'servicea-private.pem'))).mode & 0o777).toBe(0o600)
    expect((await stat(target.USERS_FILE!)).mode & 0o777).toBe(0o600)
    const files = await startFactory({ keysDir: target.KEYS_DIR!, env: { ...target, PUBLIC_URL } })
    expect((await verify(files.url, token)).status).toBe(200)
    expect((await login(files.url)).status).toBe(200)
    await files.stop()
  })
})
