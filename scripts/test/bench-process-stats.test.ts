import { afterEach, describe, expect, it } from 'vitest'
import { root } from '../demo/cluster.ts'
import { spawnNode, type NodeProcess } from '../demo/launch.ts'
import { readRss, RssMonitor } from '../bench/process-stats.ts'
import { processTree } from '../demo/process-tree.ts'

/** A parent with one child of its own, as a factory's primary with a worker. */
const PARENT = `
const { spawn } = require('node:child_process')
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
console.log(String(child.pid))
setInterval(() => {}, 1000)
`

let parent: NodeProcess | undefined
let started: number | undefined
afterEach(async () => {
  await parent?.stop(2000)
  // The parent's own child outlives a SIGTERM to the parent: stopped here, by its pid.
  if (started !== undefined) process.kill(started, 'SIGKILL')
})

describe('process tree accounting', () => {
  it('counts a process and the ones it started, as the factory with its workers', async () => {
    const childPid = new Promise<number>((resolve) => {
      parent = spawnNode({
        name: 'parent',
        args: ['-e', PARENT],
        cwd: root,
        env: { PATH: process.env.PATH },
        onLine: (line) => resolve(Number(line)),
      })
    })
    const child = await childPid
    started = child
    const pid = parent!.child.pid!
    expect(processTree(pid)).toEqual([pid, child])

    const monitor = new RssMonitor(new Map([['parent', pid]]))
    const sample = monitor.sample().get('parent')!
    const each = [readRss(pid)!, readRss(child)!]
    // Sampled one after the other: the sum is of the same order as the two read again.
    expect(sample).toBeGreaterThan(Math.max(...each))
    expect(monitor.processes.get('parent')).toBe(2)
    expect(monitor.largestPeaks.get('parent')).toBeLessThan(sample)
  })

  it('a process that is gone is an empty tree of one, and no sample', () => {
    const gone = 2 ** 22 + 1 // above the largest pid_max Linux allows: never a live process
    expect(processTree(gone)).toEqual([gone])
    expect(new RssMonitor(new Map([['gone', gone]])).sample().size).toBe(0)
  })
})
