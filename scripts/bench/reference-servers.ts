import { join } from 'node:path'
import { generateSigningKey, type SigningAlgorithm, type SigningKey } from '@jwt-factory/jwt'
import { certificatePaths, loadTlsFiles } from '@jwt-factory/tls'
import { APP_NODE_FLAGS, bundleApp } from '../build/bundle-apps.ts'
import { exitText, spawnNode, type NodeProcess } from '../demo/launch.ts'
import type { BareServerConfig } from './bare-server.ts'
import type { PeerServerConfig } from './peer-server.ts'
import { LISTENING_LINE } from './reference-child.ts'

/** The floor (bare-server.ts) and the peer (peer-server.ts), as the bench names their processes. */
export const REFERENCE_NAMES = ['bare', 'peer'] as const
export type ReferenceName = (typeof REFERENCE_NAMES)[number]

/**
 * Bundled as the apps are, and run with the apps' V8 flags: under tsx, each would carry tsx's
 * compiler and loader thread (about 50 MB of RSS) that the factory does not, and its RSS and CPU
 * would not compare. dist/ is ignored by git.
 */
const BUNDLES: Record<ReferenceName, { entry: string; outfile: string }> = {
  bare: { entry: 'scripts/bench/bare-server.ts', outfile: 'scripts/bench/dist/bare-server.js' },
  peer: { entry: 'scripts/bench/peer-server.ts', outfile: 'scripts/bench/dist/peer-server.js' },
}
const READY_TIMEOUT_MS = 20_000

export interface ReferenceServersOptions {
  /** The repository, where node_modules is (the peer's express and jose). */
  root: string
  algorithm: SigningAlgorithm
  /** The factory's certificates folder: the same server certificate, under the same CA. */
  certsDir: string
  /** Node options before the V8 flags, e.g. --cpu-prof. */
  nodeArgs?: readonly string[]
}

/**
 * The two reference servers as processes of their own on free loopback ports, started through
 * the one launcher, HTTPS with the factory's certificate. `launch()` stops what it started when
 * it fails; `stop()` (also during a launch, on Ctrl-C) stops both by their pids.
 */
export class ReferenceServers {
  readonly origins = {} as Record<ReferenceName, string>
  /** The bare server's key: its tokens verify against `signingKey.publicKey`. */
  signingKey!: SigningKey
  readonly #processes = new Map<ReferenceName, NodeProcess>()
  #stopped = false

  static async start(options: ReferenceServersOptions): Promise<ReferenceServers> {
    const servers = new ReferenceServers()
    await servers.launch(options)
    return servers
  }

  async launch(options: ReferenceServersOptions): Promise<void> {
    try {
      await this.#launch(options)
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  async #launch(options: ReferenceServersOptions): Promise<void> {
    const { root, algorithm: alg, certsDir } = options
    await Promise.all(
      REFERENCE_NAMES.map((n) => bundleApp(root, BUNDLES[n].entry, BUNDLES[n].outfile)),
    )
    this.signingKey = await generateSigningKey(alg)
    const { certPem, keyPem } = await loadTlsFiles(certsDir)
    const paths = certificatePaths(certsDir)
    const { kid, privatePem: privateKeyPem } = this.signingKey
    const bare: BareServerConfig = { alg, kid, privateKeyPem, certPem, keyPem }
    const peer: PeerServerConfig = { alg, keyFile: paths.serverKey, certFile: paths.server }
    await Promise.all([this.#start('bare', bare, options), this.#start('peer', peer, options)])
  }

  async #start(name: ReferenceName, settings: object, options: ReferenceServersOptions) {
    if (this.#stopped) throw new Error(`reference servers stopped: ${name} not started`)
    let listening!: (port: number) => void
    const port = new Promise<number>((resolve) => (listening = resolve))
    const child = spawnNode({
      name,
      args: [
        ...(options.nodeArgs ?? []),
        ...APP_NODE_FLAGS,
        join(options.root, BUNDLES[name].outfile),
      ],
      cwd: options.root,
      // express picks its production behaviour from NODE_ENV, as a deployed peer would run.
      env: { NODE_ENV: 'production' },
      // On stdin, so the private key never lands in a file.
      stdin: JSON.stringify(settings),
      onLine: (line, stream) => {
        const match = stream === 'stdout' ? LISTENING_LINE.exec(line) : null
        if (match) listening(Number(match[1]))
      },
    })
    this.#processes.set(name, child)
    const exitedFirst = child.exited.then((exit): never => {
      throw new Error(`${name} exited (${exitText(exit)}) before listening:\n${child.stderr()}`)
    })
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${name} did not listen within ${READY_TIMEOUT_MS / 1000} s`)),
        READY_TIMEOUT_MS,
      )
    })
    try {
      this.origins[name] = `https://localhost:${await Promise.race([port, exitedFirst, late])}`
    } finally {
      clearTimeout(timer)
      exitedFirst.catch(() => {}) // settled at its exit, which nobody waits on any more
    }
  }

  pidOf(name: ReferenceName): number | undefined {
    return this.#processes.get(name)?.child.pid
  }

  /** Resolves with the name and exit code of the first one that exits. */
  firstExit(): Promise<{ name: ReferenceName; code: number | string; stderr: string }> {
    return Promise.race(
      [...this.#processes].map(([name, p]) =>
        p.exited.then((exit) => ({ name, code: exit.code ?? exitText(exit), stderr: p.stderr() })),
      ),
    )
  }

  /** Stops both by their pids; safe to call more than once. */
  async stop(): Promise<void> {
    this.#stopped = true
    await Promise.all([...this.#processes.values()].map((p) => p.stop()))
  }
}
