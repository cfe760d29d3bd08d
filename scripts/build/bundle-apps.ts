import { randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { build, type Plugin } from 'esbuild'

/**
 * The two apps as plain JavaScript, the way `npm start`, the bench and the tests run them. Under
 * `node --import tsx` every process also carried tsx's compiler and its loader thread: about
 * 50 MB of RSS each (an empty script: 93 MB under tsx, 40 MB plain), a third of the 150 MB the
 * bench allows a process. Bundling takes well under a second, so every start bundles afresh and
 * a stale dist/ cannot run.
 */
export const APP_BUNDLES = {
  'jwt-factory': {
    entry: 'apps/jwt-factory/src/main.ts',
    outfile: 'apps/jwt-factory/dist/main.js',
  },
  service: { entry: 'apps/service/src/main.ts', outfile: 'apps/service/dist/main.js' },
} as const

/**
 * The factory's command-line programs as plain JavaScript, for the image, which has no tsx: in a
 * cluster they run in the factory's container (`kubectl exec … node apps/jwt-factory/dist/users-cli.js`)
 * and in the Job that registers the services' OAuth clients. From a checkout, `npm run users` and
 * the others run the sources under tsx as before. `npm run build` makes them; the demo and the
 * tests, which start apps only, do not wait for them.
 */
export const CLI_BUNDLES = {
  users: {
    entry: 'apps/jwt-factory/src/users-cli.ts',
    outfile: 'apps/jwt-factory/dist/users-cli.js',
  },
  clients: {
    entry: 'apps/jwt-factory/src/clients-cli.ts',
    outfile: 'apps/jwt-factory/dist/clients-cli.js',
  },
  store: {
    entry: 'apps/jwt-factory/src/store-cli.ts',
    outfile: 'apps/jwt-factory/dist/store-cli.js',
  },
} as const

/**
 * V8 flags every app process runs with. Left to itself, V8 sizes the heap for throughput: under
 * the bench's load, processes whose live heap is 13-16 MB after a full GC peaked at 121-171 MB
 * of RSS. A 4 MB young-generation semi-space and a 128 MB old-space limit make it collect
 * sooner: measured with the bench, peaks of 87-108 MB at the same throughput. 128 MB is several
 * times the live heap the bench and the 5-minute soak reach.
 */
export const APP_NODE_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=128'] as const

/**
 * The workspace's own packages are TypeScript (their exports name src/*.ts), so they are bundled
 * in; every package from npm stays an import node resolves from node_modules as usual.
 */
const npmPackagesExternal: Plugin = {
  name: 'npm-packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@jwt-factory/') ? undefined : { path: args.path, external: true },
    )
  },
}

/** Bundles both apps into apps/<app>/dist/main.js under `root`; returns the files written. */
export async function bundleApps(root: string): Promise<string[]> {
  return Promise.all(
    Object.values(APP_BUNDLES).map(({ entry, outfile }) => bundleApp(root, entry, outfile)),
  )
}

/** Bundles the factory's CLIs into apps/jwt-factory/dist/<cli>-cli.js; returns the files written. */
export async function bundleClis(root: string): Promise<string[]> {
  return Promise.all(
    Object.values(CLI_BUNDLES).map(({ entry, outfile }) => bundleApp(root, entry, outfile)),
  )
}

/** One entry file bundled as the apps are (also the bench's reference servers). */
export async function bundleApp(root: string, entry: string, outfile: string): Promise<string> {
  const target = join(root, outfile)
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: target,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [npmPackagesExternal],
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  })
  const [output] = result.outputFiles
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`)
  return writeWhole(target, output.contents)
}

/** The teaching console's page: its script bundled for the browser, its HTML and CSS beside it. */
export const CONSOLE_PAGE = {
  dir: 'apps/console/web',
  entry: 'apps/console/web/main.ts',
  outDir: 'apps/console/dist/web',
  script: 'console.js',
  copied: ['index.html', 'console.css'],
} as const

/**
 * Bundles the console's page into apps/console/dist/web under `root`, where the console serves
 * it from: everything the page runs is in these files (no CDN: it works with the network cut).
 * Apart from bundleApps, so a page mid-edit never keeps the services' tests from starting.
 */
export async function bundleConsolePage(root: string): Promise<string[]> {
  const out = join(root, CONSOLE_PAGE.outDir)
  const result = await build({
    absWorkingDir: root,
    entryPoints: [CONSOLE_PAGE.entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  })
  const [output] = result.outputFiles
  if (!output) throw new Error(`esbuild wrote nothing for ${CONSOLE_PAGE.entry}`)
  return Promise.all([
    writeWhole(join(out, CONSOLE_PAGE.script), output.contents),
    ...CONSOLE_PAGE.copied.map(async (name) =>
      writeWhole(join(out, name), await readFile(join(root, CONSOLE_PAGE.dir, name))),
    ),
  ])
}

/**
 * Tests start clusters in parallel, each bundling: a rename is atomic, so a process starting
 * meanwhile reads a whole file, the old one or the new.
 */
async function writeWhole(target: string, contents: Uint8Array): Promise<string> {
  await mkdir(dirname(target), { recursive: true })
  const temp = `${target}.${randomUUID()}.tmp`
  try {
    await writeFile(temp, contents)
    await rename(temp, target)
  } finally {
    await rm(temp, { force: true })
  }
  return target
}
