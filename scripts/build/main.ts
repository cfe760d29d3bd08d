import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleApps, bundleClis, bundleConsolePage } from './bundle-apps.ts'

/**
 * `npm run build`: apps/jwt-factory/dist/main.js, apps/service/dist/main.js, the factory's CLIs
 * (apps/jwt-factory/dist/*-cli.js) and the console's page.
 */
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const started = performance.now()
Promise.all([bundleApps(root), bundleClis(root), bundleConsolePage(root)]).then(
  ([apps, clis, page]) => {
    const files = [...apps, ...clis, page[0]!]
    const ms = Math.round(performance.now() - started)
    console.log(`bundled ${files.map((f) => relative(root, f)).join(', ')} in ${ms} ms`)
  },
  (err: unknown) => {
    console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  },
)
