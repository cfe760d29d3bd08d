import type { ChildProcess } from 'node:child_process'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readUsersFile } from '../src/users/users-file.ts'
// By path until @jwt-factory/server exports ./testing (see that file).
import { connectOutcome } from '@jwt-factory/server/testing'
import {
  call,
  cleanUp,
  freshKeysDir,
  makeTempDir,
  postJson,
  startFactory,
  type FactoryProcess,
} from './factory-process.ts'
import { startUsersCli } from './users-cli-process.ts'

/**
 * SIGKILL at a random moment of a burst of writes, then a restart on the same files: whatever was
 * answered as done is there and works, and nothing on disk is half-written. Real processes, real
 * files; the kill moments are random within each round's window and printed on failure.
 */
afterAll(() => cleanUp())

const WORKERS = 24

interface Ledger {
  /** keyId → every kid a 2xx of GET or POST /keys/<keyId> answered. */
  kids: Map<string, Set<string>>
  /** Tokens answered 200 by POST /issueToken/<keyId>. */
  tokens: { keyId: string; token: string }[]
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!

/**
 * WORKERS loops of GET /keys (create), POST /keys (rotate) and POST /issueToken until the kill.
 * Returns how many requests were answered and how many the kill cut off in flight.
 */
async function burstUntilKilled(
  factory: FactoryProcess,
  ledger: Ledger,
  newKeyIds: string[],
  killAfterMs: number,
) {
  let killed = false
  let answered = 0
  let cut = 0
  let timer: NodeJS.Timeout | undefined
  // The moment counts from the first answer: the first requests of a fresh process are slow.
  const scheduleKill = () => {
    timer ??= setTimeout(() => {
      killed = true
      factory.child.kill('SIGKILL')
    }, killAfterMs)
  }
  const record = (keyId: string, kid: string) => {
    const kids = ledger.kids.get(keyId) ?? new Set<string>()
    kids.add(kid)
    ledger.kids.set(keyId, kids)
  }
  const worker = async () => {
    while (!killed) {
      const known = [...ledger.kids.keys()]
      const roll = Math.random()
      try {
        if (roll < 0.25 || known.length === 0) {
          const keyId = pick(newKeyIds)
          const res = await call(`${factory.url}/keys/${keyId}`)
          expect([200, 201]).toContain(res.status)
          record(keyId, (res.json as { kid: string }).kid)
        } else if (roll < 0.6) {
          const keyId = pick(known)
          const res = await call(`${factory.url}/keys/${keyId}`, { method: 'POST' })
          expect(res.status).toBe(201)
          record(keyId, (res.json as { kid: string }).kid)
        } else {
          const keyId = pick(known)
          const res = await postJson(`${factory.url}/issueToken/${keyId}`, { aud: 'serviceb' })
          expect(res.status).toBe(200)
          ledger.tokens.push({ keyId, token: res.text })
        }
        answered++
        scheduleKill()
      } catch (err) {
        if (!killed) throw err
        cut++
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: WORKERS }, worker))
  } finally {
    clearTimeout(timer)
    killed = true
  }
  const exit = await factory.stop()
  expect(exit.signal, 'the factory died of the SIGKILL, not of something else').toBe('SIGKILL')
  return { answered, cut }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

/** Runs `task` over `items`, `limit` at a time. */
async function eachLimited<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++]!)
    }),
  )
}

describe('the factory killed with SIGKILL during a burst of key creations and rotations', () => {
  const ledger: Ledger = { kids: new Map(), tokens: [] }
  let keysDir: string
  let factory: FactoryProcess

  // Windows of the kill moment, in ms after the burst's first answer.
  const rounds = [
    [0, 50],
    [50, 300],
    [300, 800],
    [800, 1500],
  ] as const

  it.each(
    rounds.map((window, i) => ({ round: i + 1, window, label: `${window[0]}-${window[1]} ms` })),
  )(
    'fault: factory SIGKILLed $label into a burst of key creations and rotations (round $round) → every answered key and token survives the restart, every file parses',
    { timeout: 60_000 },
    async ({ round, window: [from, to] }) => {
      keysDir ??= await freshKeysDir()
      factory = await startFactory({ keysDir })
      const killAfterMs = Math.round(from + Math.random() * (to - from))
      const newKeyIds = Array.from({ length: 8 }, (_, i) => `r${round}-k${i}`)
      const { answered, cut } = await burstUntilKilled(factory, ledger, newKeyIds, killAfterMs)
      const context = `killed after ${killAfterMs} ms: ${answered} answered, ${cut} cut in flight`
      expect(answered, context).toBeGreaterThan(0)
      expect(cut, `${context}: the kill must land while requests are in flight`).toBeGreaterThan(0)

      factory = await startFactory({ keysDir })

      // Nothing half-written: no temporary file is left after the start, every PEM parses.
      const files = await filesUnder(keysDir)
      expect(
        files.filter((f) => f.endsWith('.tmp')),
        context,
      ).toEqual([])
      const pems = files.filter((f) => f.endsWith('.pem'))
      for (const file of pems) {
        const pem = await readFile(file, 'utf8')
        const parse = file.endsWith('-private.pem') ? createPrivateKey : createPublicKey
        expect(() => parse(pem), `${file} (${context})`).not.toThrow()
      }
      const skipped = factory.logEntries().filter((e) => String(e.msg).startsWith('skipped'))
      expect(skipped, context).toEqual([])

      // Every kid answered by a 2xx is published, under a keyId that still exists.
      const jwks = await call(`${factory.url}/.well-known/jwks.json`)
      const published = new Set((jwks.json as { keys: { kid: string }[] }).keys.map((k) => k.kid))
      for (const [keyId, kids] of ledger.kids) {
        expect((await call(`${factory.url}/keys/${keyId}`)).status, `${keyId} (${context})`).toBe(
          200,
        )
        for (const kid of kids)
          expect(published.has(kid), `${keyId} kid ${kid} (${context})`).toBe(true)
      }

      // Every token answered before the kill still verifies.
      const refused: string[] = []
      await eachLimited(ledger.tokens, 16, async ({ keyId, token }) => {
        const res = await postJson(`${factory.url}/verify/${keyId}`, {
          token,
          aud: 'serviceb',
          sub: keyId,
        })
        if (res.status !== 200) refused.push(`${keyId}: ${res.status} ${res.text}`)
      })
      expect(refused, context).toEqual([])
      await factory.stop()
    },
  )

  it('the rounds together exercised many writes: keys rotated several times, tokens of many keys', () => {
    const kidsPerKeyId = [...ledger.kids.values()].map((kids) => kids.size)
    expect(ledger.kids.size).toBeGreaterThanOrEqual(8)
    expect(Math.max(...kidsPerKeyId)).toBeGreaterThanOrEqual(3)
    expect(new Set(ledger.tokens.map((t) => t.keyId)).size).toBeGreaterThanOrEqual(4)
    expect(ledger.tokens.length).toBeGreaterThan(50)
  })
})

/** `npm run users -- add NAME --role viewer --file FILE` as a child process, password on stdin. */
function spawnAdd(
  file: string,
  name: string,
): { child: ChildProcess; exited: Promise<number | null> } {
  const cli = startUsersCli(file, ['add', name, '--role', 'viewer'], `${name}-password-long\n`)
  const exited = cli.exited.then(({ code }) => {
    if (code !== 0 && code !== null)
      console.error(`users add ${name} exited ${code}: ${cli.stderr()}`)
    return code
  })
  return { child: cli.child, exited }
}

describe('npm run users -- add, many at once, killed with SIGKILL at random moments', () => {
  let file: string
  /** Every name whose add exited 0. */
  const added = new Set<string>()

  async function expectValidAndComplete(context: string) {
    const { users } = await readUsersFile(file) // throws on a partial or invalid file
    const names = new Set(users.map((u) => u.name))
    for (const name of added) expect(names.has(name), `${name} (${context})`).toBe(true)
  }

  it(
    'fault: 6 concurrent npm run users -- add → every one exits 0, every user is in the file (no lost update)',
    { timeout: 60_000 },
    async () => {
      file = join(await makeTempDir('jwt-factory-users-crash-'), 'data', 'users.json')
      const runs = Array.from({ length: 6 }, (_, i) => ({
        name: `calm${i}`,
        ...spawnAdd(file, `calm${i}`),
      }))
      const codes = await Promise.all(runs.map((r) => r.exited))
      expect(codes).toEqual(runs.map(() => 0))
      runs.forEach((r) => added.add(r.name))
      await expectValidAndComplete('no kill')
    },
  )

  it.each([1, 2, 3])(
    'fault: 5 concurrent npm run users -- add SIGKILLed at random moments (round %i) → the file is valid and holds every add that exited 0',
    { timeout: 60_000 },
    async (round) => {
      // Started 200 ms apart, so at the kill some are done, some hashing, some starting, maybe
      // one writing or holding the lock; the kill comes at random within 400 ms of the first
      // exit, and one more add starts at that exit, so at least one is surely cut.
      const runs: (ReturnType<typeof spawnAdd> & { name: string })[] = []
      for (let i = 0; i < 4; i++) {
        runs.push({ name: `r${round}u${i}`, ...spawnAdd(file, `r${round}u${i}`) })
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      const killAfterMs = Math.round(Math.random() * 400)
      await Promise.race(runs.map((r) => r.exited))
      runs.push({ name: `r${round}u4`, ...spawnAdd(file, `r${round}u4`) })
      await new Promise((resolve) => setTimeout(resolve, killAfterMs))
      runs.forEach((r) => r.child.kill('SIGKILL'))
      const codes = await Promise.all(runs.map((r) => r.exited))
      runs.forEach((r, i) => codes[i] === 0 && added.add(r.name))
      const context = `killed ${killAfterMs} ms after the first exit; exit codes ${codes.join(',')}`
      expect(
        codes.every((c) => c === 0 || c === null),
        context,
      ).toBe(true)
      expect(codes.filter((c) => c === 0).length, context).toBeGreaterThan(0)
      expect(codes.filter((c) => c === null).length, context).toBeGreaterThan(0)
      await expectValidAndComplete(context)
    },
  )

  it(
    'fault: users CLI killed while holding the lock → the next adds are not blocked, leftovers cleaned',
    { timeout: 60_000 },
    async () => {
      const runs = Array.from({ length: 2 }, (_, i) => ({
        name: `after${i}`,
        ...spawnAdd(file, `after${i}`),
      }))
      expect(await Promise.all(runs.map((r) => r.exited))).toEqual([0, 0])
      runs.forEach((r) => added.add(r.name))
      await expectValidAndComplete('after the kills')
      const dir = join(file, '..')
      const left = (await readdir(dir)).filter((n) => n !== 'users.json')
      expect(left).toEqual([])
    },
  )
})

describe('SIGTERM to the factory with a request in flight', () => {
  it(
    'fault: SIGTERM to the factory with a request in flight → answered normally, new connections refused, exit 0',
    { timeout: 30_000 },
    async () => {
      const keysDir = await freshKeysDir()
      const factory = await startFactory({ keysDir })
      expect((await call(`${factory.url}/keys/servicea`)).status).toBe(201)
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        factory.child.once('exit', (code, signal) => resolve({ code, signal })),
      )

      // A client that sends its body slowly: the request is in flight from its first byte on.
      const body = JSON.stringify({ aud: 'serviceb', note: 'x'.repeat(2000) })
      const half = Math.floor(body.length / 2)
      const req = httpRequest({
        host: '127.0.0.1',
        port: factory.port,
        method: 'POST',
        path: '/issueToken/servicea',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
      })
      const answer = new Promise<{ status: number; connection: string | undefined; text: string }>(
        (resolve, reject) => {
          req.on('response', (res) => {
            let text = ''
            res.setEncoding('utf8').on('data', (c: string) => (text += c))
            res.on('end', () =>
              resolve({ status: res.statusCode!, connection: res.headers.connection, text }),
            )
          })
          req.on('error', reject)
        },
      )
      req.write(body.slice(0, half))
      await new Promise((resolve) => setTimeout(resolve, 300))

      factory.child.kill('SIGTERM')
      // Until the listener has closed, a connection still gets in (or is reset as it closes).
      let outcome = await connectOutcome(factory.port)
      while (outcome === 'connected' || outcome === 'ECONNRESET')
        outcome = await connectOutcome(factory.port)
      expect(outcome).toBe('ECONNREFUSED')
      expect(factory.child.exitCode, 'it waits for the request in flight').toBeNull()

      req.end(body.slice(half))
      const res = await answer
      expect(res.status).toBe(200)
      expect(res.text).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/)
      expect(res.connection).toBe('close')
      // That it exits without waiting out a keep-alive timeout is listen.test.ts's to show, with
      // a timeout far past the test's own, not with a clock here.
      expect(await exited).toEqual({ code: 0, signal: null })
      await factory.stop()

      // The answer was a real one: the token verifies on the next start.
      const again = await startFactory({ keysDir })
      const verified = await postJson(`${again.url}/verify/servicea`, {
        token: res.text,
        aud: 'serviceb',
        sub: 'servicea',
      })
      expect(verified.status).toBe(200)
      await again.stop()
    },
  )
})
