/** How often a wait on observable state (an answer, a process gone) looks again. */
const POLL_MS = 50

/**
 * Resolves once `check()` is true, looking every POLL_MS; rejects with `what` after timeoutMs.
 * The wait ends on the state itself, so a slow machine waits longer instead of failing.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}
