import { createServer, type AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basic, TEST_USERS, writeTestUsers } from '../src/login/login-test-support.ts'
import { totpCode } from '../src/login/totp.ts'
import {
  ETCD_AVAILABLE,
  etcdStoreEnv,
  etcdSuiteTitle,
  startTestEtcd,
  type TestEtcd,
} from '../src/stores/etcd/etcd-test-cluster.ts'
import {
  call,
  cleanUp,
  eventually,
  freshKeysDir,
  makeTempDir,
  runFactoryToExit,
  startFactory,
  type FactoryProcess,
} from './factory-process.ts'
import { formPost } from './oauth-requests.ts'
import { runFactoryCli, runUsersCli } from './users-cli-process.ts'
import {
  callWorker,
  childPids,
  connectToWorker,
  isRunning,
  workerOfFreshConnection,
  type WorkerAnswer,
  type WorkerRequest,
} from './worker-connection.ts'

/**
 * The real factory with WORKERS=2: a primary and two worker processes on one port. Whichever
 * worker a request reaches, the answer is the factory's: keys, users, TOTP steps, challenges,
 * failed logins and the console's JWKS fault are the same at both, on files (the primary owns
 * the writes) and on etcd (each worker is a factory on it).
 */
const { tina } = TEST_USERS
/** Failed logins from one address before it is throttled; counted across the workers. */
const MAX_FAILURES_PER_ADDRESS = 10
/** Slow enough to make that two rotations sent at once are both asked before either key exists. */
const ALGORITHM = 'RS256'

const json = (body: unknown): WorkerRequest => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})
const at = (f: FactoryProcess, worker: number, path: string, init?: WorkerRequest) =>
  callWorker(f.url, worker, path, init)
const jwksKids = async (f: FactoryProcess, worker: number, keyId = 'servicea') => {
  const { json: body } = await at(f, worker, `/jwks/${keyId}`)
  return ((body as { keys?: { kid: string }[] }).keys ?? []).map((k) => k.kid).sort()
}
const activeKid = async (f: FactoryProcess, worker: number, keyId = 'servicea') => {
  const { status, json: body } = await at(f, worker, `/keys/${keyId}`)
  expect(status, JSON.stringify(body)).toBeLessThan(300)
  return (body as { kid: string }).kid
}
const rotated = ({ status, json: body }: WorkerAnswer) => {
  expect(status, JSON.stringify(body)).toBe(201)
  return (body as { kid: string }).kid
}
const rotate = async (f: FactoryProcess, worker: number, keyId = 'servicea') =>
  rotated(await at(f, worker, `/keys/${keyId}`, { method: 'POST' }))
/**
 * One rotation at each worker, sent at once on connections opened before. "At once" is before
 * the first one's new key is made: RS256 keys take long enough to make that it is.
 */
const rotateAtBoth = async (f: FactoryProcess) => {
  const connections = await Promise.all([1, 2].map((w) => connectToWorker(f.url, w)))
  try {
    const answers = await Promise.all(
      connections.map((c) => c.send('/keys/servicea', { method: 'POST' })),
    )
    return answers.map(rotated)
  } finally {
    connections.forEach((c) => c.close())
  }
}
const issue = async (f: FactoryProcess, worker: number) => {
  const { status, text } = await at(f, worker, '/issueToken/servicea', json({ aud: 'serviceb' }))
  expect(status, text).toBe(200)
  return text
}
const verifies = async (f: FactoryProcess, worker: number, token: string) =>
  (await at(f, worker, '/verify/servicea', json({ token, aud: 'serviceb', sub: 'servicea' })))
    .status === 200
const login = (f: FactoryProcess, worker: number, name: string, password: string, code?: string) =>
  at(f, worker, '/login', {
    method: 'POST',
    headers: { authorization: basic(name, password), ...(code ? { 'x-totp-code': code } : {}) },
  })
/** Every worker a few fresh connections reach (the primary hands them out in turn). */
const workersAnswering = async (f: FactoryProcess) => {
  const seen = new Set<number>()
  for (let i = 0; i < 8; i++) {
    // A connection node:cluster's primary hands to a worker just as it is SIGKILLed can hang (seen
    // under a full test run; its round-robin handoff never completes): not counted as an answer.
    const worker = await workerOfFreshConnection(f.url).catch(() => undefined)
    if (worker !== undefined) seen.add(worker)
  }
  return [...seen].sort()
}
/**
 * startFactory with WORKERS=2, once both workers serve: /healthz answers as soon as the first
 * does, and the primary hands connections only to the workers listening.
 */
const startWorkers = async (env: Record<string, string>, keysDir?: string) => {
  const factory = await startFactory({
    env: { WORKERS: '2', ...env },
    ...(keysDir ? { keysDir } : {}),
  })
  await eventually(async () => (await workersAnswering(factory)).length === 2, 15_000)
  return factory
}
const listeningLines = (f: FactoryProcess) =>
  f.logEntries().filter((e) => String(e.msg).startsWith('jwt-factory listening on'))

describe('WORKERS=2 on files: one factory, two processes, one state', () => {
  let factory: FactoryProcess
  let usersFile: string
  let clientsFile: string

  beforeAll(async () => {
    const keysDir = await freshKeysDir()
    // Where factory-process points USERS_FILE and CLIENTS_FILE.
    usersFile = join(dirname(keysDir), 'users.json')
    clientsFile = join(dirname(keysDir), 'clients.json')
    await writeTestUsers(usersFile, [tina, TEST_USERS.alice])
    factory = await startWorkers(
      { ALGORITHM, LOGIN_MAX_FAILURES_PER_ADDRESS: String(MAX_FAILURES_PER_ADDRESS) },
      keysDir,
    )
  }, 30_000)
  afterAll(cleanUp, 30_000)

  it('both workers answer, /healthz names which; the start says "listening" once, each worker logs with its id', async () => {
    expect(await workersAnswering(factory)).toEqual([1, 2])
    const lines = listeningLines(factory)
    expect(lines).toHaveLength(1)
    expect(lines[0]!.msg).toContain('(2 workers)')
    const workerLines = factory.logEntries().filter((e) => e.worker !== undefined)
    expect(new Set(workerLines.map((e) => e.worker))).toEqual(new Set([1, 2]))
  })

  it('a rotation through one worker is in the JWKS of both as soon as it is answered, and tokens of either verify at both', async () => {
    // Answered once every worker holds the change: no waiting for a watch.
    const first = await activeKid(factory, 1)
    expect(await activeKid(factory, 2)).toBe(first)
    const kid = await rotate(factory, 1)
    expect(kid).not.toBe(first)
    expect(await activeKid(factory, 2)).toBe(kid)
    expect(await jwksKids(factory, 2)).toEqual([first, kid].sort())
    for (const issuer of [1, 2]) {
      const token = await issue(factory, issuer)
      for (const verifier of [1, 2]) expect(await verifies(factory, verifier, token)).toBe(true)
    }
  })

  it('two rotations at once, one at each worker, make one new key', async () => {
    const before = await jwksKids(factory, 1)
    const kids = await rotateAtBoth(factory)
    expect(kids[0]).toBe(kids[1])
    for (const worker of [1, 2]) {
      expect(await activeKid(factory, worker)).toBe(kids[0])
      expect(await jwksKids(factory, worker)).toEqual([...before, kids[0]!].sort())
    }
  })

  it('attack: a TOTP code used at one worker is refused at the other', async () => {
    const code = totpCode(tina.totpSecret, Date.now())
    const accepted = await login(factory, 1, tina.name, tina.password, code)
    expect(accepted.status, accepted.text).toBe(200)
    const replayed = await login(factory, 2, tina.name, tina.password, code)
    expect(replayed.status, 'attack: a TOTP code replayed at the other worker').toBe(401)
  })

  it('a TOTP challenge given by one worker is answered at the other, once', async () => {
    const started = await login(factory, 1, tina.name, tina.password)
    expect(started.status, started.text).toBe(428)
    const { totp_challenge } = started.json as { totp_challenge: string }
    // A code not used yet: the step after the one the test before used.
    const validate = () =>
      json({
        user_name: tina.name,
        totp_code: totpCode(tina.totpSecret, Date.now() + 30_000),
        totp_challenge,
      })
    const answered = await at(factory, 2, '/totp/validate', validate())
    expect(answered.status, answered.text).toBe(200)
    const again = await at(factory, 1, '/totp/validate', validate())
    expect(again.status, 'attack: a challenge answered twice').toBe(401)
  })

  it('a user the users CLI adds logs in at both workers', async () => {
    const password = 'correct horse battery'
    const added = await runUsersCli(
      usersFile,
      ['add', 'carol', '--role', 'viewer'],
      `${password}\n`,
    )
    expect(added.code, added.stderr).toBe(0)
    for (const worker of [1, 2]) {
      await eventually(async () => (await login(factory, worker, 'carol', password)).status === 200)
    }
  })

  it("the console's JWKS fault, asked at one worker, holds at the other until it is lifted", async () => {
    const fault = (mode: string) => at(factory, 1, '/control/jwks-fault', json({ fault: mode }))
    expect((await fault('failing')).status).toBe(200)
    await eventually(async () => (await at(factory, 2, '/jwks/servicea')).status === 503)
    expect((await at(factory, 2, '/control/state')).json).toMatchObject({ jwksFault: 'failing' })
    expect((await fault('none')).status).toBe(200)
    await eventually(async () => (await at(factory, 2, '/jwks/servicea')).status === 200)
  })

  it('a token revoked at one worker is refused at the other as soon as the revocation is answered', async () => {
    const secret = 'servicea-secret-for-the-workers-test-0123456789'
    const added = await runFactoryCli('clients', clientsFile, ['add', 'servicea'], `${secret}\n`)
    expect(added.code, added.stderr).toBe(0)
    const client = { id: 'servicea', secret }
    const grant = formPost({ grant_type: 'client_credentials', audience: 'serviceb' }, client)
    const tokenAt = async (worker: number) => {
      const r = await at(factory, worker, '/token', grant as WorkerRequest)
      return r.status === 200 ? (r.json as { access_token: string }).access_token : undefined
    }
    // The clients file reaches each worker by the primary's watch.
    const token = await eventually(() => tokenAt(1))
    await eventually(() => tokenAt(2))
    expect(await verifies(factory, 2, token)).toBe(true)
    const revoked = await at(factory, 1, '/revoke', formPost({ token }, client) as WorkerRequest)
    expect(revoked.status, revoked.text).toBe(200)
    expect(await verifies(factory, 2, token)).toBe(false)
  })

  // Last: it throttles this machine's address at the factory for the rest of the window.
  it('attack: failed logins at one worker count at the other: the address is throttled there (429)', async () => {
    // Until worker 1 throttles: the earlier tests' failures (replays, at either worker) count too.
    let answered = 401
    for (let i = 0; i <= MAX_FAILURES_PER_ADDRESS && answered === 401; i++) {
      answered = (await login(factory, 1, `nobody-${i}`, 'guess')).status
    }
    expect(answered).toBe(429)
    // Worker 2 failed fewer logins itself than the limit: only worker 1's, told to it, throttle
    // this login, which is right.
    await eventually(
      async () => (await login(factory, 2, 'alice', TEST_USERS.alice.password)).status === 429,
    )
  })
})

describe('WORKERS=2: a worker that dies is replaced; SIGTERM stops them all', () => {
  afterAll(cleanUp, 30_000)

  it('a worker SIGKILLed is replaced and the factory keeps answering; SIGTERM to the primary leaves no worker behind', async () => {
    const factory = await startWorkers({})
    const primary = factory.child.pid!
    const workers = await eventually(async () => {
      const pids = await childPids(primary)
      return pids.length === 2 && pids
    })
    const kid = await activeKid(factory, 1)
    process.kill(workers[0]!, 'SIGKILL')
    await eventually(async () => !(await isRunning(workers[0]!)))
    // Its replacement serves: worker 3, with the keys of the others.
    await eventually(async () => (await workersAnswering(factory)).includes(3), 30_000)
    expect(await activeKid(factory, 3)).toBe(kid)
    for (let i = 0; i < 4; i++) expect((await call(`${factory.url}/healthz`)).status).toBe(200)
    expect(
      factory.logEntries().some((e) => /exited \(SIGKILL\): starting another/.test(String(e.msg))),
    ).toBe(true)
    const replaced = await childPids(primary)
    expect(replaced).toHaveLength(2)
    const exit = await factory.stop()
    expect(exit).toMatchObject({ code: 0 })
    for (const pid of replaced) expect(await isRunning(pid)).toBe(false)
  }, 60_000)

  it('the primary SIGKILLed: its workers stop by themselves (no orphan keeps serving)', async () => {
    const factory = await startWorkers({})
    const pids = await childPids(factory.child.pid!)
    expect(pids).toHaveLength(2)
    factory.child.kill('SIGKILL')
    expect(await factory.stop()).toMatchObject({ signal: 'SIGKILL' })
    for (const pid of pids) await eventually(async () => !(await isRunning(pid)))
  })

  it('SIGTERM while a worker is still starting stops it too: exit 0, no worker left', async () => {
    // Healthy as soon as one worker serves: the other may be starting still.
    const factory = await startFactory({ env: { WORKERS: '2' } })
    const pids = await childPids(factory.child.pid!)
    expect(pids.length).toBeGreaterThan(0)
    expect(await factory.stop()).toMatchObject({ code: 0 })
    for (const pid of pids) expect(await isRunning(pid)).toBe(false)
  })

  it('a port in use stops the start with its message, once, not once per worker', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    try {
      const port = (taken.address() as AddressInfo).port
      const result = await runFactoryToExit({ port, env: { WORKERS: '2' } })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        new RegExp(`cannot listen on port ${port}: port already in use`),
      )
      expect(result.stdout).toMatch(/exited \(code 1\) before it served: stopping/)
    } finally {
      taken.close()
    }
  })

  it('a bad WORKERS stops the start naming WORKERS, once', async () => {
    const result = await runFactoryToExit({ env: { WORKERS: '0' } })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/WORKERS: /)
    expect(result.stderr.match(/WORKERS: /g)).toHaveLength(1)
  })
})

describe.skipIf(!ETCD_AVAILABLE)(etcdSuiteTitle('WORKERS=2 on etcd'), () => {
  let etcd: TestEtcd
  let factory: FactoryProcess

  beforeAll(async () => {
    etcd = await startTestEtcd({ members: 1 })
    const dir = await makeTempDir('workers-etcd-')
    factory = await startWorkers({
      ALGORITHM,
      ...etcdStoreEnv(etcd, join(dir, 'store.kek')),
    })
  }, 60_000)
  afterAll(async () => {
    await cleanUp()
    await etcd?.stop()
  }, 60_000)

  it('issues and rotates consistently: a key made and rotated at one worker signs and verifies at both', async () => {
    const first = await activeKid(factory, 1)
    await eventually(async () => (await jwksKids(factory, 2)).includes(first))
    const kids = await rotateAtBoth(factory)
    expect(kids[0]).toBe(kids[1])
    for (const worker of [1, 2]) {
      await eventually(async () => (await activeKid(factory, worker)) === kids[0])
      expect(await jwksKids(factory, worker)).toEqual([first, kids[0]!].sort())
    }
    const token = await issue(factory, 2)
    expect(await verifies(factory, 1, token)).toBe(true)
  })
})
