import { readFileSync } from 'node:fs'

/**
 * `node --import tsx scripts/bench/cpu-profile-summary.ts <file.cpuprofile> [top] [skip-ms]`:
 * where a process spent its CPU, by module (a package, a node: module, GC) and by function, as a
 * share of the time it was not idle. For the profiles `npm run bench -- --cpu-prof <dir>` writes;
 * skip-ms leaves out start-up.
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : `native ${functionName}`
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (pkg) return pkg[1]!
  const workspace = /\/(packages|apps)\/([^/]+)\//.exec(url)
  if (workspace) return `${workspace[1]}/${workspace[2]}`
  const builtin = /^node:(?:internal\/)?([^/]+(?:\/[^/]+)?)/.exec(url)
  return builtin ? `node:${builtin[1]}` : url
}

/** `skipMs`: leave out the first milliseconds of the profile (start-up: tsx compiling, imports). */
function summarize(
  profile: Profile,
  skipMs = 0,
): {
  busyMs: number
  idleMs: number
  byModule: Map<string, number>
  byFunction: Map<string, number>
} {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const byModule = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let busy = 0
  let idle = 0
  let at = 0
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    at += dt
    if (at < skipMs) return
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame
    if (functionName === '(idle)') {
      idle += dt
      return
    }
    busy += dt
    const module = moduleOf(url, functionName)
    byModule.set(module, (byModule.get(module) ?? 0) + dt)
    const fn = `${functionName || '(anonymous)'} ${url ? `${module}:${lineNumber + 1}` : ''}`.trim()
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt)
  })
  return { busyMs: busy, idleMs: idle, byModule, byFunction }
}

function print(file: string, top: number, skipMs: number): void {
  const { busyMs, idleMs, byModule, byFunction } = summarize(
    JSON.parse(readFileSync(file, 'utf8')) as Profile,
    skipMs,
  )
  const share = (ms: number) => `${((ms / busyMs) * 100).toFixed(1).padStart(5)}%`
  const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
  console.log(`${file}\nbusy ${Math.round(busyMs)} ms, idle ${Math.round(idleMs)} ms\n\nby module:`)
  for (const [name, ms] of list(byModule)) console.log(`  ${share(ms)}  ${name}`)
  console.log('\nby function (self time):')
  for (const [name, ms] of list(byFunction)) console.log(`  ${share(ms)}  ${name}`)
}

const [file, top = '25', skip = '0'] = process.argv.slice(2)
if (file) print(file, Number(top), Number(skip))
else {
  console.error(
    'usage: node --import tsx scripts/bench/cpu-profile-summary.ts <file.cpuprofile> [top] [skip-ms]',
  )
  process.exitCode = 2
}
