import { waitFor } from './wait-for.ts'

const DEFAULT_GRACE_MS = 10_000
const KILLED_EXIT_MS = 5000

/**
 * SIGTERM, then SIGKILL if `isAlive()` is still true after graceMs; resolves once it is false.
 * The process may be another shell's, so its end is seen by looking, not by an exit event.
 */
export async function stopProcess(
  pid: number,
  isAlive: () => boolean,
  graceMs = DEFAULT_GRACE_MS,
): Promise<void> {
  if (!isAlive()) return
  signal(pid, 'SIGTERM')
  try {
    await waitFor(() => !isAlive(), `pid ${pid} exiting after SIGTERM`, graceMs)
  } catch {
    signal(pid, 'SIGKILL')
    await waitFor(() => !isAlive(), `pid ${pid} exiting after SIGKILL`, KILLED_EXIT_MS)
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}
