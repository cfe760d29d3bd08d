/**
 * Every namespace and interface a run of the test hosts makes is named after the run:
 * `jf<pid><letter>` (the pid of the process that made it, a letter per set that process made).
 * Parallel runs cannot collide, and a leftover of a run whose process is gone is known as one.
 * Linux interface names are at most 15 characters: a pid has at most 7 digits, so a run's name
 * fits with room to spare.
 */
// A run's own name (its client link), or one of its namespaces' (`<run>-<host>`).
const RUN_NAME = /^jf(\d+)[a-z](-|$)/

let runs = 0

export function newRunName(): string {
  const letter = String.fromCharCode('a'.charCodeAt(0) + (runs++ % 26))
  return `jf${process.pid}${letter}`
}

/** The pid of the process whose run made `name`, or undefined for a name no run makes. */
export function runPid(name: string): number | undefined {
  const match = RUN_NAME.exec(name)
  return match ? Number(match[1]) : undefined
}

/** Whether process `pid` exists (EPERM: it does, another user's). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
