import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { createCertificateAuthority } from '@jwt-factory/tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleConsolePage, CONSOLE_PAGE } from '../../../scripts/build/bundle-apps.ts'
import { root } from '../../../scripts/demo/cluster.ts'
import { Supervisor } from '../../../scripts/demo/supervisor.ts'
import { loadConfig } from '../src/config.ts'
import type { RunningConsole } from '../src/start-console.ts'
import { serveConsole } from './console-under-test.ts'

/** The page's files as the console serves them, from a dist/web of the test's own. */
let dir: string
let http: HttpClient
let running: RunningConsole
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-page-'))
  await mkdir(join(dir, 'dist/web'), { recursive: true })
  await writeFile(join(dir, 'dist/web/index.html'), '<!doctype html><title>t</title>')
  await writeFile(join(dir, 'dist/web/console.js'), 'document.title = "x"')
  const ca = await createCertificateAuthority({ commonName: 'page test CA', validityDays: 1 })
  http = createHttpClient({ caPem: ca.certPem })
  running = await serveConsole(
    loadConfig({ CONSOLE_PORT: '0' }, dir),
    new Supervisor(dir, {}),
    http,
  )
})
afterAll(async () => {
  await running?.close()
  await http?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const get = (path: string) => fetch(`http://localhost:${running.port}${path}`)

describe('the page', () => {
  it('GET / is index.html; may load nothing from elsewhere, nor be framed by another site', async () => {
    const res = await get('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await res.text()).toBe('<!doctype html><title>t</title>')
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('GET /assets/console.js is the bundle; a file not built is a 404 saying how to build it', async () => {
    const js = await get('/assets/console.js')
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    expect(await js.text()).toBe('document.title = "x"')
    const css = await get('/assets/console.css')
    expect(css.status).toBe(404)
    expect(((await css.json()) as any).error.message).toContain('npm run build')
    expect((await get('/assets/../.env')).status).toBe(404)
  })
})

describe('bundleConsolePage', () => {
  it('writes the script, the HTML and the CSS into apps/console/dist/web, the script self-contained', async () => {
    const files = await bundleConsolePage(root)
    expect(files).toEqual(
      [CONSOLE_PAGE.script, ...CONSOLE_PAGE.copied].map((f) => join(root, CONSOLE_PAGE.outDir, f)),
    )
    const script = await readFile(files[0]!, 'utf8')
    // One file for the browser: nothing left to import, from node_modules or a CDN.
    expect(script).not.toMatch(/\bimport\s*[({'"]|\brequire\(/)
    const html = await readFile(files[1]!, 'utf8')
    expect(html).toContain('/assets/console.js')
    expect(html).not.toMatch(/(?:src|href)=["']?(?:https?:)?\/\//)
  })
})
