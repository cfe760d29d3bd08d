import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { root } from '../demo/cluster.ts'
import { APP_BUNDLES, APP_NODE_FLAGS, bundleApps } from '../build/bundle-apps.ts'
import { startApp } from '../demo/launch.ts'

let files: string[]

beforeAll(async () => {
  files = await bundleApps(root)
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
    for (const file of files) {
      const imports = bareImports(await readFile(file, 'utf8'))
      expect([...imports].filter((name) => name.startsWith('@jwt-factory/'))).toEqual([])
      expect(imports).toContain('hono')
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
})
