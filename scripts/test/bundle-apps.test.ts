import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { root } from '../demo/cluster.ts'
import {
  APP_BUNDLES,
  APP_NODE_FLAGS,
  bundleApps,
  bundleClis,
  CLI_BUNDLES,
} from '../build/bundle-apps.ts'
import { spawnNode, startApp } from '../demo/launch.ts'

let files: string[]
let cliFiles: string[]

beforeAll(async () => {
  ;[files, cliFiles] = await Promise.all([bundleApps(root), bundleClis(root)])
})

/** The bare imports a bundle leaves for node to resolve from node_modules. */
function bareImports(code: string): Set<string> {
  return new Set([...code.matchAll(/^import\s[^'"]*["']([^./"'][^"']*)["']/gm)].map((m) => m[1]!))
}

describe('bundleApps', () => {
  it('writes one bundle per app, where the apps, npm scripts and tests run them from', () => {
    expect(files.map((f) => relative(root, f)).sort()).toEqual(
      Object.values(APP_BUNDLES)
        .map((b) => b.outfile)
        .sort(),
    )
  })

  it('bundles the workspace packages in; npm packages stay imports; no certificate generation at run time', async () => {
    for (const file of [...files, ...cliFiles]) {
      const imports = bareImports(await readFile(file, 'utf8'))
      expect([...imports].filter((name) => name.startsWith('@jwt-factory/'))).toEqual([])
      // The apps serve with hono; the CLIs do not, and all of them use jose.
      if (files.includes(file)) expect(imports).toContain('hono')
      expect(imports).toContain('jose')
      // @peculiar/x509 and reflect-metadata are for `npm run certs`; sideEffects: false drops them.
      expect(imports).not.toContain('@peculiar/x509')
      expect(imports).not.toContain('reflect-metadata')
    }
  })

  it('runs with plain node: a bad variable stops the factory with a message naming it', async () => {
    const env = { PATH: process.env.PATH ?? '', PORT: 'not-a-port' }
    const factory = startApp({ name: 'jwt-factory', app: 'jwt-factory', cwd: root, env })
    expect((await factory.exited).code).toBe(1)
    expect(factory.stderr()).toContain('PORT')
  })

  it('npm run factory and npm run servicea|b|c run the bundles with the same V8 flags as npm start', async () => {
    const { scripts } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    const node = `exec node ${APP_NODE_FLAGS.join(' ')}`
    expect(scripts.factory).toContain(`${node} ${APP_BUNDLES['jwt-factory'].outfile}`)
    for (const name of ['servicea', 'serviceb', 'servicec']) {
      expect(scripts[name]).toContain(`${node} ${APP_BUNDLES.service.outfile} ${name}`)
    }
  })

  it("bundles the factory's CLIs beside its main.js, which run with plain node", async () => {
    expect(cliFiles.map((f) => relative(root, f)).sort()).toEqual(
      Object.values(CLI_BUNDLES)
        .map((b) => b.outfile)
        .sort(),
    )
    // From the repository's root, so the bundle finds apps/jwt-factory/ as its folder on its own.
    const dir = await mkdtemp(join(tmpdir(), 'bundled-clis-'))
    try {
      const secretFile = join(dir, 'servicea.secret')
      await writeFile(secretFile, 'a-client-secret-of-32-characters\n', { mode: 0o600 })
      const clients = join(dir, 'clients.json')
      const env = { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json' }
      const run = async (cli: string, args: string[], stdin = '') => {
        const child = spawnNode({ name: cli, args: [cli, ...args], cwd: root, env, stdin })
        const { code } = await child.exited
        return { code, stdout: child.stdout(), stderr: child.stderr() }
      }
      const ensure = ['ensure', 'servicea', '--secret-file', secretFile, '--file', clients]
      expect(await run(CLI_BUNDLES.clients.outfile, ensure)).toMatchObject({
        code: 0,
        stdout: `added servicea (the secret of ${secretFile})\n`,
      })
      expect(await run(CLI_BUNDLES.users.outfile, ['--help'])).toMatchObject({
        code: 0,
        stdout: expect.stringContaining('add NAME --role'),
      })
      expect(await run(CLI_BUNDLES.store.outfile, ['--help'])).toMatchObject({ code: 0 })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
