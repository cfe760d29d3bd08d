import { readdirSync, readFileSync } from 'node:fs'

/**
 * A process and every process under it (a factory with WORKERS > 1 is a primary and its workers),
 * from /proc/<pid>/task/<tid>/children; just `pid` where the kernel does not list children.
 */
export function processTree(pid: number): number[] {
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) {
    let tasks: string[]
    try {
      tasks = readdirSync(`/proc/${tree[i]}/task`)
    } catch {
      continue // gone
    }
    for (const tid of tasks) {
      try {
        const children = readFileSync(`/proc/${tree[i]}/task/${tid}/children`, 'utf8')
        for (const child of children.trim().split(/\s+/)) if (child) tree.push(Number(child))
      } catch {
        // a thread that ended meanwhile, or no children file
      }
    }
  }
  return tree
}

/** `signal` to a process and every process under it (a factory's primary and its workers). */
export function signalTree(pid: number, signal: NodeJS.Signals): void {
  for (const each of processTree(pid)) {
    try {
      process.kill(each, signal)
    } catch {
      // gone meanwhile
    }
  }
}
