/**
 * What the bench's reference servers (bare-server.ts, peer-server.ts) share with the bench that
 * starts them: their settings come on stdin, so no key is written to a file, and the port they
 * listen on (0: any free one) goes back as one line on stdout, the event the bench waits for.
 */

/** The line a reference server writes once it listens; the bench reads the port from it. */
export const LISTENING_LINE = /^listening on port (\d+)$/

export async function readStdinJson<T>(): Promise<T> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T
}

export function announceListening(port: number): void {
  process.stdout.write(`listening on port ${port}\n`)
}

/**
 * SIGTERM stops it the way the apps stop: the process ends of itself once the server is closed,
 * so `--cpu-prof` can write its profile (a process killed by the signal writes none).
 */
export function stopOnSigterm(stop: () => unknown): void {
  process.once('SIGTERM', () => void stop())
}
