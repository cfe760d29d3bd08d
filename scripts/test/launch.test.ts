import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { LaunchError, spawnNode, type NodeProcess } from '../demo/launch.ts'
import { freePorts } from '../demo/cluster.ts'

const started: NodeProcess[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop(1000)))
})

/** `node -e script` with only the environment given; stopped after each test. */
function node(script: string, env: Record<string, string> = {}): NodeProcess {
  const p = spawnNode({ name: 'child', args: ['-e', script], cwd: process.cwd(), env })
  started.push(p)
  return p
}

/** Resolves with the first line the child writes to stdout: it is past its set-up. */
async function firstLine(p: NodeProcess): Promise<void> {
  while (!p.stdout().includes('\n')) await once(p.child.stdout!, 'data')
}

const HEALTHZ = `require('node:http').createServer((req, res) => {
  res.statusCode = req.url === '/healthz' ? 200 : 404; res.end()
}).listen(Number(process.env.PORT), '127.0.0.1')`

describe('spawnNode', () => {
  it('captures stdout and stderr, feeds stdin, and reports the exit', async () => {
    const lines: string[] = []
    const p = spawnNode({
      name: 'echo',
      args: ['-e', "process.stdin.pipe(process.stdout); console.error('to stderr')"],
      cwd: process.cwd(),
      env: {},
      stdin: 'one\ntwo\n',
      onLine: (line, stream) => lines.push(`${stream}: ${line}`),
    })
    expect(await p.exited).toEqual({ code: 0, signal: null })
    expect(p.stdout()).toBe('one\ntwo\n')
    expect(p.stderr()).toBe('to stderr\n')
    expect(lines.sort()).toEqual(['stderr: to stderr', 'stdout: one', 'stdout: two'])
    expect(p.hasExited()).toBe(true)
  })

  it('whenHealthy resolves once /healthz answers 200', async () => {
    const [port] = (await freePorts(1)) as [number]
    const p = node(HEALTHZ, { PORT: String(port) })
    await p.whenHealthy(`http://127.0.0.1:${port}/healthz`, 20_000)
    expect(p.hasExited()).toBe(false)
  })

  it('whenHealthy rejects with the exit and the output of a process that exits first', async () => {
    const p = node("console.log('starting'); console.error('cannot listen'); process.exit(3)")
    const failure = await p.whenHealthy('http://127.0.0.1:1/healthz', 20_000).catch((e) => e)
    expect(failure).toBeInstanceOf(LaunchError)
    expect(failure).toMatchObject({
      exit: { code: 3, signal: null },
      stdout: 'starting\n',
      stderr: 'cannot listen\n',
    })
    expect(failure.message).toContain('child exited (3) before http://127.0.0.1:1/healthz answered')
    expect(failure.message).toContain('cannot listen')
  })

  it('whenHealthy gives up on a port whose squatter accepts and never answers', async () => {
    const sockets: Socket[] = []
    const squatter: Server = createServer((s) => sockets.push(s)).listen(0, '127.0.0.1')
    await once(squatter, 'listening')
    try {
      const { port } = squatter.address() as { port: number }
      const p = node('setInterval(() => {}, 1000)')
      const failure = await p.whenHealthy(`http://127.0.0.1:${port}/healthz`, 300).catch((e) => e)
      expect(failure).toBeInstanceOf(LaunchError)
      expect(failure.exit).toBeUndefined()
      expect(failure.message).toBe(
        `child did not answer http://127.0.0.1:${port}/healthz within 0.3 s`,
      )
      expect(p.hasExited()).toBe(false)
    } finally {
      sockets.forEach((s) => s.destroy())
      squatter.close()
    }
  })

  it('stop() ends a process with SIGTERM', async () => {
    const p = node("setInterval(() => {}, 1000); console.log('up')")
    await firstLine(p)
    expect(await p.stop()).toEqual({ code: null, signal: 'SIGTERM' })
  })

  it('stop() sends SIGKILL to one that ignores SIGTERM, after the grace', async () => {
    const p = node(
      "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')",
    )
    await firstLine(p)
    expect(await p.stop(200)).toEqual({ code: null, signal: 'SIGKILL' })
  })

  it('stop() of a process that has exited answers its exit', async () => {
    const p = node('process.exit(0)')
    await p.exited
    expect(await p.stop()).toEqual({ code: 0, signal: null })
  })
})
