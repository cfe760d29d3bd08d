import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { root } from '../demo/cluster.ts'
import { spawnNode } from '../demo/launch.ts'

let scratch: string

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'npm-run-certs-'))
})

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true })
})

const modeOf = async (path: string) => (await stat(path)).mode & 0o777

describe('npm run certs', () => {
  it('makes a fresh clone’s 0755 certs/ folder 0700 as it writes the certificates', async () => {
    // What a fresh clone has: the folder git made for certs/.gitkeep, with the umask's mode.
    const certs = join(scratch, 'certs')
    await mkdir(certs)
    await chmod(certs, 0o755)
    await writeFile(join(certs, '.gitkeep'), '')
    const env = { PATH: process.env.PATH ?? '', CERTS_DIR: certs }
    const args = ['--import', 'tsx', 'scripts/certs.ts']
    const run = spawnNode({ name: 'npm run certs', args, cwd: root, env })
    expect((await run.exited).code, run.stderr()).toBe(0)
    expect(run.stdout()).toContain('certificates written')
    expect(await readdir(certs)).toContain('ca-key.pem')
    expect(await modeOf(certs)).toBe(0o700)
    expect(await modeOf(join(certs, 'ca-key.pem'))).toBe(0o600)
  })
})
