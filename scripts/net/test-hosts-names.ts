import { randomBytes } from 'node:crypto'

/**
 * Every namespace a run of the test hosts makes is named after the run, `<run>-<host>`, and so is
 * its client link, `<run>`. A run's name is random, never derived from a pid: runs in separate
 * pid namespaces (containers sharing /run/netns, or the host's network) have the same pids. 48
 * random bits make two runs' names alike practically never, and a run whose name is taken fails
 * (its record, or `ip netns add`, refuses it) rather than sharing it. `jf` and 12 hex digits: a
 * Linux interface name holds at most 15 characters.
 */
export function newRunName(): string {
  return `jf${randomBytes(6).toString('hex')}`
}
