import { Agent, request } from 'node:http'
import { readdir, readFile } from 'node:fs/promises'

/**
 * Reaching one chosen worker of a factory with WORKERS > 1. The primary hands each connection to
 * a worker in turn and a connection stays with its worker, so: open a connection, ask
 * GET /healthz which worker holds it, and send the request on that same connection (checked:
 * `reusedSocket`); else close it and open the next.
 */
export interface WorkerAnswer {
  status: number
  text: string
  json: unknown
}

export interface WorkerRequest {
  method?: string
  headers?: Record<string, string>
  body?: string
}

/** At most this many connections to find the worker: the primary's turn reaches it long before. */
const ATTEMPTS = 20

function send(agent: Agent, url: URL, init: WorkerRequest) {
  return new Promise<WorkerAnswer & { reused: boolean }>((resolve, reject) => {
    const req = request(url, { agent, method: init.method ?? 'GET', headers: init.headers })
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url.href}`)))
    req.on('error', reject)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, text, json, reused: req.reusedSocket })
      })
    })
    req.end(init.body)
  })
}

/** Which worker answers a fresh connection (GET /healthz's `worker`). */
export async function workerOfFreshConnection(base: string): Promise<number> {
  const agent = new Agent({ keepAlive: false })
  try {
    const { json } = await send(agent, new URL('/healthz', base), {})
    return (json as { worker: number }).worker
  } finally {
    agent.destroy()
  }
}

/** One connection held by a chosen worker: each request on it reaches that worker. */
export interface WorkerConnection {
  send(path: string, init?: WorkerRequest): Promise<WorkerAnswer>
  close(): void
}

/** A connection that worker `worker` of the factory at `base` holds. */
export async function connectToWorker(base: string, worker: number): Promise<WorkerConnection> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const { json } = await send(agent, new URL('/healthz', base), {}).catch((err: unknown) => {
      agent.destroy()
      throw err
    })
    if ((json as { worker?: number }).worker !== worker) {
      agent.destroy()
      continue
    }
    return {
      async send(path, init = {}) {
        const { reused, ...answer } = await send(agent, new URL(path, base), init)
        // A new socket may have reached another worker: say so rather than test the wrong one.
        if (!reused) throw new Error(`the connection to worker ${worker} was closed`)
        return answer
      },
      close: () => agent.destroy(),
    }
  }
  throw new Error(`worker ${worker} did not answer any of ${ATTEMPTS} connections to ${base}`)
}

/** `init` sent to `path` at worker `worker`, on a connection of its own. */
export async function callWorker(
  base: string,
  worker: number,
  path: string,
  init: WorkerRequest = {},
): Promise<WorkerAnswer> {
  const connection = await connectToWorker(base, worker)
  try {
    return await connection.send(path, init)
  } finally {
    connection.close()
  }
}

/** The pids whose parent is `pid` (Linux /proc): a primary's workers. */
export async function childPids(pid: number): Promise<number[]> {
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    // "pid (comm) state ppid …": comm may hold spaces or parentheses, so split after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (ppid === pid) pids.push(Number(entry))
  }
  return pids.sort((a, b) => a - b)
}

/** Whether a process with this pid is still there (a zombie counts as gone). */
export async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
}
