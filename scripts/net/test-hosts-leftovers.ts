import { ip } from './test-hosts-ip.ts'
import { processExists, runPid } from './test-hosts-names.ts'

/**
 * Removes what an earlier run left behind when its process died before its close(): namespaces
 * (which take their veths along) and interfaces in this namespace named after a run whose
 * process no longer exists. A live process's hosts are never touched. Returns what it removed.
 */
export async function removeLeftoverHosts(): Promise<string[]> {
  const removed: string[] = []
  for (const name of await namespaceNames()) {
    if (isLeftover(name)) {
      await ip(['netns', 'delete', name]).catch(unlessGone)
      removed.push(`netns ${name}`)
    }
  }
  for (const name of await linkNames()) {
    if (isLeftover(name)) {
      await ip(['link', 'delete', 'dev', name]).catch(unlessGone)
      removed.push(`link ${name}`)
    }
  }
  return removed
}

function isLeftover(name: string): boolean {
  const pid = runPid(name)
  return pid !== undefined && !processExists(pid)
}

/** The named network namespaces (`ip netns list`: "name" or "name (id: 3)" per line). */
export async function namespaceNames(): Promise<string[]> {
  const out = await ip(['netns', 'list'])
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean)
}

async function linkNames(): Promise<string[]> {
  const links = JSON.parse((await ip(['-json', 'link', 'show'])) || '[]') as { ifname: string }[]
  return links.map((l) => l.ifname)
}

/** Deleting what is already gone (another cleaner was first, or it went with its namespace). */
export function unlessGone(err: Error): void {
  if (/No such file|Cannot find device|does not exist/i.test(err.message)) return
  throw err
}
