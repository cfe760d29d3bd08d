import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises'
import { createServer, connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentationExamples, JWT, normalize } from './readme-examples.ts'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const DEMO_PORTS = [5555, 5443, 3000, 3443, 3001, 8443, 3002, 9443]

/** A copy of the checkout (tracked and new files, not ignored ones) sharing node_modules. */
async function copyCheckout(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jwt-factory-copy-'))
  const files = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '-z'],
    { cwd: repo },
  )
    .toString()
    .split('\0')
    .filter(Boolean)
  for (const file of files) {
    const from = join(repo, file)
    if (!(await stat(from).catch(() => undefined))?.isFile()) continue
    await mkdir(dirname(join(dir, file)), { recursive: true })
    await cp(from, join(dir, file))
  }
  await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'))
  return dir
}

function npmStart(cwd: string) {
  const child = spawn('npm', ['start'], {
    cwd,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)))
  return { child, exited, output: () => output }
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Processes whose command line mentions the copy: what npm start left running. */
async function processesUnder(dir: string): Promise<string[]> {
  const found: string[] = []
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (cmd.includes(dir)) found.push(`${pid}: ${cmd.replaceAll('\0', ' ')}`)
  }
  return found
}

const portOpen = (port: number) =>
  new Promise<boolean>((ok) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), ok(true)))
    socket.once('error', () => ok(false))
  })

describe('npm start on a fresh copy', () => {
  let copy: string
  let demo: ReturnType<typeof npmStart> | undefined
  beforeAll(async () => {
    const busy = (await Promise.all(DEMO_PORTS.map(portOpen))).some(Boolean)
    if (busy)
      throw new Error(
        `a demo port (${DEMO_PORTS.join(', ')}) is in use: stop the running demo first`,
      )
    copy = await copyCheckout()
  })
  afterAll(async () => {
    if (demo && demo.child.exitCode === null) demo.child.kill('SIGKILL')
    if (copy) await rm(copy, { recursive: true, force: true })
  })

  it('becomes ready, makes its secrets with private modes, and answers scenario 1', async () => {
    demo = npmStart(copy)
    await until(
      () => demo!.output().includes('ready. Try:') || demo!.child.exitCode !== null,
      60_000,
      'npm start to be ready',
    )
    expect(demo.output()).toContain('ready. Try:')
    // The README shows what npm start prints when it is ready: those lines, as they are.
    const readme = await readFile(join(copy, 'README.md'), 'utf8')
    const shown = /^```text\n(npm start {2}\| ready\. Try:\n[\s\S]*?)^```$/m.exec(readme)?.[1]
    expect(shown, 'README.md shows the ready lines').toBeDefined()
    for (const line of shown!.trim().split('\n')) expect(demo.output()).toContain(line)
    for (const file of [
      'certs/ca-key.pem',
      'certs/server-key.pem',
      'scenario-3-keys/jwt-private.pem',
      'keys/servicea-private.pem',
      'keys/servicec-private.pem',
    ]) {
      expect(((await stat(join(copy, file))).mode & 0o777).toString(8), file).toBe('600')
    }
    const res = await fetch('http://localhost:3000/scenario1')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      valid: true,
      claims: { sub: 'servicea', aud: 'serviceb' },
    })
  })

  it('answers every curl in the README and docs/ as the page shows', () => {
    const examples = documentationExamples(copy)
    expect(examples.length).toBeGreaterThanOrEqual(12)
    for (const example of examples) {
      const actual = execFileSync(
        'bash',
        ['-c', `set -e\n${example.script.replace(/^curl /gm, 'curl -sS ')}`],
        { cwd: copy, timeout: 10_000 },
      )
        .toString()
        .trim()
      const where = `${example.file} line ${example.line}: ${example.script}`
      if (example.kind === 'json') {
        expect(normalize(JSON.parse(actual)), where).toEqual(
          normalize(JSON.parse(example.expected)),
        )
      } else if (JWT.test(example.expected)) {
        expect(actual, where).toMatch(JWT)
      } else {
        expect(actual, where).toBe(example.expected)
      }
    }
  })

  it('fault: SIGTERM to the npm start process alone → every process it started stops', async () => {
    expect((await processesUnder(copy)).length).toBeGreaterThanOrEqual(4)
    demo!.child.kill('SIGTERM')
    await demo!.exited
    expect(demo!.output()).toContain('npm start  | stopped')
    const left = await processesUnder(copy)
    expect(left).toEqual([])
    for (const port of DEMO_PORTS) expect(await portOpen(port), `port ${port}`).toBe(false)
  })

  it('fault: a demo port already in use → npm start names the process and port, stops the others', async () => {
    // Accepts the launcher's health checks and never answers them, as a squatter would.
    const accepted: Socket[] = []
    const blocker = createServer((socket) => accepted.push(socket)).listen(3001, '127.0.0.1')
    await new Promise((r) => blocker.once('listening', r))
    try {
      const run = npmStart(copy)
      const code = await Promise.race([
        run.exited,
        new Promise((r) => setTimeout(() => r('timeout'), 60_000)),
      ])
      expect(code, run.output()).toBe(1)
      expect(run.output()).toMatch(/serviceb.*cannot listen on port 3001: port already in use/)
      expect(run.output()).toContain('serviceb exited (1); stopping the others')
      expect(await processesUnder(copy)).toEqual([])
    } finally {
      accepted.forEach((s) => s.destroy())
      await new Promise((r) => blocker.close(r))
    }
  }, 90_000)
})
