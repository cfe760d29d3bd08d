import { randomBytes } from 'node:crypto'
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { ensureCertificates } from '@jwt-factory/tls'
import { createHttpClient, type HttpClient } from '@jwt-factory/http-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  APP_BUNDLES,
  APP_NODE_FLAGS,
  bundleApps,
  bundleClis,
  CLI_BUNDLES,
} from '../build/bundle-apps.ts'
import { root } from '../demo/cluster.ts'
import { spawnNode, startApp, type NodeProcess } from '../demo/launch.ts'
import { IMAGE_BUNDLES } from '../deploy-check/rules/image-commands.ts'
import { copyImageLayout, type CopiedLayout } from '../image/copy-layout.ts'
import { parseDockerfile } from '../image/dockerfile.ts'
import { contextFilter } from '../image/dockerignore.ts'
import { imageLayout, type ImageLayout } from '../image/layout.ts'
import { freePorts } from '../net/free-ports.ts'

/**
 * The image as no container engine runs here: exactly what the Dockerfile puts in its code folder,
 * copied into a fresh folder (scripts/image/), made read-only, and run as the image runs it, as
 * its USER when the tests run as root, with environment variables only and writable folders of
 * its own for keys, data and certificates, as the Deployments mount them.
 */
let layout: ImageLayout
let copied: CopiedLayout
let code: string
let volume: string
let certsParent: string
let certsDir: string
let https: HttpClient
let listingBefore: string[]
let factoryEnv: Record<string, string>
let runAsImageUser: { user: { uid: number; gid: number } } | object
const running: NodeProcess[] = []
const urls = { factory: '', factoryHttps: '', servicea: '', serviceb: '' }
const SERVICES = ['servicea', 'serviceb', 'servicec'] as const
/** The factory's log lines so far, and what waits for one (it logs each reload of its users). */
const factoryLog = { lines: [] as string[], waiting: [] as { match: RegExp; seen: () => void }[] }

const READY_TIMEOUT_MS = 20_000
const HOST = '127.0.0.1'
/** The setup bundles, copies and runs npm ci: more than the default hook time on a slow machine. */
const SETUP_TIMEOUT_MS = 180_000

describe('the layout, read from the Dockerfile', () => {
  it('refuses what the copy could not reproduce, naming the line', async () => {
    const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8')
    // The first stage builds: its name, and the folder it copies the repository to.
    const build = parseDockerfile(dockerfile)[0]!
    const src = build.instructions.find((i) => i.keyword === 'WORKDIR')?.args ?? '/'
    const fromBuild = `--from=${build.name} ${src}`
    for (const [line, why] of [
      [`COPY ${fromBuild}/node_modules ./node_modules`, /kept out of the build context/],
      [`COPY ${fromBuild}/certs certs/`, /kept out of the build context/],
      [
        'COPY apps/service/.servicea.env apps/service/',
        /kept out of the build context by \.dockerignore/,
      ],
      ['COPY policy.json /etc/policy.json', /outside the code folder/],
      ['RUN mkdir -p data', /RUN mkdir -p data: the layout cannot replay it/],
      ['USER node', /USER must be numeric/],
      ['CMD node apps/jwt-factory/dist/main.js', /shell form/],
    ] as const) {
      const layout = imageLayout(root, `${dockerfile}\n${line}\n`)
      await expect(layout).rejects.toThrow(/^Dockerfile line \d+/)
      await expect(layout).rejects.toThrow(why)
    }
  })

  it('.dockerignore: the last matching pattern wins, a folder excludes what is in it', () => {
    const inContext = contextFilter('**/dist\n**/.*.env\nkeys\n!keys/.gitkeep\n# a comment\n')
    expect(inContext('apps/service/src/main.ts')).toBe(true)
    expect(inContext('apps/service/dist/main.js')).toBe(false)
    expect(inContext('dist/x')).toBe(false)
    expect(inContext('apps/service/.servicea.env')).toBe(false)
    expect(inContext('apps/service/servicea.env')).toBe(true)
    expect(inContext('keys/servicea/private.pem')).toBe(false)
    expect(inContext('keys/.gitkeep')).toBe(true)
    expect(inContext('monkeys')).toBe(true)
  })
})

describe('the image, as its layout runs', () => {
  beforeAll(async () => {
    layout = await imageLayout(root)
    await Promise.all([bundleApps(root), bundleClis(root)])
    code = await mkdtemp(join(tmpdir(), 'jwt-factory-image-'))
    copied = await copyImageLayout(root, layout, code, {
      // The registry may be out of reach: CI's own `npm ci` filled the cache this one reads.
      extraNpmArgs: ['--prefer-offline', '--no-audit', '--no-fund'],
    })
    console.log(
      `image layout: files copied in ${copied.copyMs} ms, npm ci in ${copied.installMs} ms`,
    )

    volume = await mkdtemp(join(tmpdir(), 'jwt-factory-image-volume-'))
    certsParent = await mkdtemp(join(tmpdir(), 'jwt-factory-image-certs-'))
    certsDir = join(certsParent, 'certs')
    await ensureCertificates(certsDir)
    // Each service's OAuth client secret, as prepare makes them and the Secrets mount them.
    await mkdir(join(volume, 'client-secrets'), { mode: 0o700 })
    for (const name of SERVICES) {
      const secret = `${randomBytes(32).toString('base64url')}\n`
      await writeFile(join(volume, 'client-secrets', name), secret, { mode: 0o600 })
    }
    https = createHttpClient({
      caPem: await readFile(join(certsDir, 'ca.pem'), 'utf8'),
      timeoutMs: 10_000,
    })
    // As root, a-w stops nobody: the processes then run as the image's USER, which owns only the
    // volumes, as a Deployment's fsGroup and Secret modes give it. Otherwise they run as this user.
    const user = process.getuid?.() === 0 ? layout.user : undefined
    runAsImageUser = user ? { user } : {}
    if (user) for (const dir of [volume, certsParent]) await chownTree(dir, user)
    await chmod(code, 0o755)
    await readOnlyTree(code)
    listingBefore = await listing(code)

    const [fHttp, fHttps, aHttp, aHttps, bHttp, bHttps, cHttp, cHttps] = await freePorts(8)
    urls.factory = `http://${HOST}:${fHttp}`
    urls.factoryHttps = `https://localhost:${fHttps}`
    urls.servicea = `http://${HOST}:${aHttp}`
    urls.serviceb = `http://${HOST}:${bHttp}`
    const [node, ...args] = layout.command
    expect(node).toBe('node')
    factoryEnv = {
      ...layout.env,
      HOST,
      PORT: String(fHttp),
      HTTPS_PORT: String(fHttps),
      PUBLIC_URL: urls.factoryHttps,
      CERTS_DIR: certsDir,
      STORE: 'files',
      KEYS_DIR: join(volume, 'keys'),
      USERS_FILE: join(volume, 'users.json'),
      CLIENTS_FILE: join(volume, 'clients.json'),
      REVOCATIONS_FILE: join(volume, 'revocations.json'),
      LOG_FORMAT: 'json',
      // As deploy/'s Deployment runs it. With more workers, the one "loaded 1 user(s)" line the
      // users CLI test waits for is one worker's: the next login could reach the other first.
      WORKERS: '1',
    }
    // The OAuth clients, as the cluster's Job registers them: it may run before any factory.
    for (const name of SERVICES) {
      const secretFile = join(volume, 'client-secrets', name)
      const ensured = await runCli(CLI_BUNDLES.clients.outfile, [
        'ensure',
        name,
        '--secret-file',
        secretFile,
      ])
      expect(ensured).toMatchObject({
        code: 0,
        stdout: `added ${name} (the secret of ${secretFile})\n`,
      })
    }
    const factory = spawnNode({
      name: 'jwt-factory',
      args,
      cwd: code,
      ...runAsImageUser,
      env: factoryEnv,
      onLine: (line) => {
        factoryLog.lines.push(line)
        for (const w of factoryLog.waiting.filter((w) => w.match.test(line))) w.seen()
      },
    })
    running.push(factory)
    await factory.whenHealthy(`${urls.factory}/healthz`, READY_TIMEOUT_MS)
    const service = (name: string, httpPort: number, httpsPort: number) =>
      startApp({
        name,
        app: 'service',
        appArgs: [name],
        cwd: code,
        ...(user ? { user } : {}),
        env: {
          ...layout.env,
          // No SERVICE_NAME: the argument names the service, as the Deployments' args do.
          HOST,
          HTTP_PORT: String(httpPort),
          HTTPS_PORT: String(httpsPort),
          FACTORY_URL: urls.factoryHttps,
          SERVICEA_URL: `https://localhost:${aHttps}`,
          SERVICEB_URL: `https://localhost:${bHttps}`,
          SERVICEC_URL: `https://localhost:${cHttps}`,
          CERTS_DIR: certsDir,
          SCENARIO3_KEYS_DIR: join(volume, 'scenario-3-keys'),
          CLIENT_SECRET_FILE: join(volume, 'client-secrets', name),
          LOG_FORMAT: 'json',
        },
      })
    const services = [
      service('servicea', aHttp!, aHttps!),
      service('serviceb', bHttp!, bHttps!),
      service('servicec', cHttp!, cHttps!),
    ]
    running.push(...services)
    const httpPorts = [aHttp, bHttp, cHttp]
    await Promise.all(
      services.map((s, i) =>
        s.whenHealthy(`http://${HOST}:${httpPorts[i]}/healthz`, READY_TIMEOUT_MS),
      ),
    )
    // servicea's keys at the factory, as `npm start` makes them: scenario 1 issues with them.
    expect((await fetch(`${urls.factory}/keys/servicea`)).status).toBe(201)
  }, SETUP_TIMEOUT_MS)

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()))
    await https?.close()
    // Writable again, so a non-root run can remove them.
    if (code) await chmodTree(code, (mode) => mode | 0o200)
    for (const dir of [code, volume, certsParent])
      if (dir) await rm(dir, { recursive: true, force: true })
  })

  it("the Dockerfile's command is the factory as npm run factory runs it, as a numeric user who is not root", () => {
    expect(layout.command).toEqual(['node', ...APP_NODE_FLAGS, APP_BUNDLES['jwt-factory'].outfile])
    expect(layout.user.uid).toBeGreaterThan(0)
    expect(layout.user.gid).toBeGreaterThan(0)
  })

  it('holds the bundles and policy.json, production dependencies only, and no .env file', async () => {
    const files = await listing(code)
    const paths = new Set(files.map((line) => line.split(' ')[0]))
    // Every bundle the deploy checks let a manifest run (the apps' and the factory's CLIs).
    for (const path of [...IMAGE_BUNDLES, 'apps/jwt-factory/policy.json'])
      expect(paths).toContain(path)
    // Configuration comes from the environment only (ConfigMaps); the sources are bundled.
    expect([...paths].filter((p) => /(^|\/)\.([\w-]+\.)?env$/.test(p!))).toEqual([])
    expect([...paths].filter((p) => /^(apps|packages)\/[^/]+\/src\//.test(p!))).toEqual([])
    const installs = layout.steps.filter((s) => s.kind === 'install')
    expect(installs.map((s) => s.command.slice(0, 2))).toEqual([['npm', 'ci']])
    expect(installs[0]!.command).toEqual(expect.arrayContaining(['--omit=dev', '--ignore-scripts']))
  })

  it('node_modules holds what the lockfile needs in production, and none of the devDependencies', async () => {
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>
    }
    // stat follows a workspace's link: a link to a folder the image lacks counts as missing.
    const installed = async (path: string) =>
      stat(join(code, path)).then(
        () => true,
        () => false,
      )
    const dev: string[] = []
    const missing: string[] = []
    const present: string[] = []
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path.includes('node_modules/')) continue
      if (entry.dev) {
        dev.push(path)
        if (await installed(path)) present.push(path)
      } else if (!entry.optional && !entry.devOptional && !(await installed(path))) {
        missing.push(path)
      }
    }
    // The tools named, so the lockfile's dev flags are known to cover them.
    for (const tool of ['vitest', 'tsx', 'esbuild', 'typescript', 'playwright-core', 'prettier'])
      expect(dev).toContain(`node_modules/${tool}`)
    expect(present).toEqual([])
    expect(missing).toEqual([])
  })

  it('the factory and both services answer /healthz from the copy', async () => {
    for (const url of [urls.factory, urls.servicea, urls.serviceb]) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
    }
  })

  it('the factory makes keys on the volume, issues a token and verifies it', async () => {
    expect((await fetch(`${urls.factory}/keys/servicea`)).status).toBe(200)
    expect((await stat(join(volume, 'keys'))).mode & 0o777).toBe(0o700)
    const privateKey = await stat(join(volume, 'keys', 'servicea-private.pem'))
    expect(privateKey.mode & 0o777).toBe(0o600)
    if (process.getuid?.() === 0) expect(privateKey.uid).toBe(layout.user.uid)
    const issued = await https.fetch(`${urls.factoryHttps}/issueToken/servicea`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ aud: 'serviceb' }),
    })
    expect(issued.status).toBe(200)
    const token = await issued.text()
    const verified = await https.fetch(`${urls.factoryHttps}/verify/servicea`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, aud: 'serviceb', sub: 'servicea' }),
    })
    expect(verified.status).toBe(200)
    expect(await verified.json()).toMatchObject({
      valid: true,
      claims: { iss: urls.factoryHttps, sub: 'servicea', aud: 'serviceb' },
    })
  })

  it('servicea runs scenario 1 against the factory over HTTPS', async () => {
    const res = await fetch(`${urls.servicea}/scenario1`)
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 200,
      body: { valid: true, claims: { iss: urls.factoryHttps, sub: 'servicea', aud: 'serviceb' } },
    })
  })

  it("the bundled users CLI adds a user on the factory's volume, password on stdin; the running factory logs them in", async () => {
    const password = randomBytes(18).toString('base64url')
    const reloaded = factoryLogs(/"loaded 1 user\(s\)"/)
    const added = await runCli(
      CLI_BUNDLES.users.outfile,
      ['add', 'viewer', '--role', 'viewer'],
      `${password}\n`,
    )
    expect(added, added.stderr).toMatchObject({ code: 0 })
    const usersFile = await stat(join(volume, 'users.json'))
    expect(usersFile.mode & 0o777).toBe(0o600)
    if (process.getuid?.() === 0) expect(usersFile.uid).toBe(layout.user.uid)
    await reloaded
    const login = await fetch(`${urls.factory}/login`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`viewer:${password}`).toString('base64')}`,
        'x-audience': 'servicea',
      },
    })
    expect(login.status).toBe(200)
    userToken = ((await login.json()) as { access_token: string }).access_token
  })

  it('scenario 5, and scenario 6 with the OAuth clients clients ensure registered, run with that user', async () => {
    const auth = { authorization: `Bearer ${userToken}` }
    const five = await fetch(`${urls.servicea}/scenario5`, { headers: auth })
    expect({ status: five.status, body: await five.json() }).toMatchObject({
      status: 200,
      body: { valid: true, user: { valid: true, claims: { sub: 'viewer' } } },
    })
    const six = await fetch(`${urls.servicea}/scenario6`, { headers: auth })
    expect({ status: six.status, body: await six.json() }).toMatchObject({
      status: 200,
      body: {
        valid: true,
        by: 'serviceb',
        claims: { sub: 'viewer', client_id: 'servicea' },
        servicec: { valid: true, by: 'servicec', claims: { client_id: 'serviceb' } },
      },
    })
  })

  it('nothing was written into the code folder, up to a graceful stop', async () => {
    const exits = await Promise.all(running.map((p) => p.stop()))
    expect(exits).toEqual(running.map(() => ({ code: 0, signal: null })))
    expect(await listing(code)).toEqual(listingBefore)
  })
})

let userToken = ''

/** One of the factory's bundled CLIs, run from the code folder as the factory runs: its env, its user. */
async function runCli(bundle: string, args: string[], stdin?: string) {
  const cli = spawnNode({
    name: bundle,
    args: [bundle, ...args],
    cwd: code,
    ...runAsImageUser,
    env: factoryEnv,
    ...(stdin === undefined ? {} : { stdin }),
  })
  const { code: exitCode } = await cli.exited
  return { code: exitCode, stdout: cli.stdout(), stderr: cli.stderr() }
}

/** Resolves at the factory's next log line matching `match` (wait for it before the change). */
function factoryLogs(match: RegExp): Promise<void> {
  return new Promise((seen) => factoryLog.waiting.push({ match, seen }))
}

/** Every entry under `dir`: path, type, mode, size and modification time, sorted. */
async function listing(dir: string): Promise<string[]> {
  const lines: string[] = []
  for (const path of await walk(dir)) {
    const s = await lstat(path)
    const type = s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : 'file'
    lines.push(
      `${relative(dir, path)} ${type} ${(s.mode & 0o7777).toString(8)} ${s.size} ${s.mtimeMs}`,
    )
  }
  return lines.sort()
}

/** Every path under `dir`, not following symbolic links (node 20's recursive readdir does). */
async function walk(dir: string): Promise<string[]> {
  const paths: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    paths.push(path)
    if (entry.isDirectory()) paths.push(...(await walk(path)))
  }
  return paths
}

/** chmod -R a-w; symbolic links are left alone (chmod would follow them). */
const readOnlyTree = (dir: string) => chmodTree(dir, (mode) => mode & ~0o222)

async function chmodTree(dir: string, change: (mode: number) => number): Promise<void> {
  for (const path of [dir, ...(await walk(dir))]) {
    const s = await lstat(path)
    if (!s.isSymbolicLink()) await chmod(path, change(s.mode & 0o7777))
  }
}

async function chownTree(dir: string, user: { uid: number; gid: number }): Promise<void> {
  for (const path of [dir, ...(await walk(dir))]) await chown(path, user.uid, user.gid)
}
