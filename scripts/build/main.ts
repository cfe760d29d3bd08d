import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleApps } from './bundle-apps.ts'

/** `npm run build`: apps/jwt-factory/dist/main.js and apps/service/dist/main.js. */
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const started = performance.now()
bundleApps(root).then(
  (files) => {
    const ms = Math.round(performance.now() - started)
    console.log(`bundled ${files.map((f) => relative(root, f)).join(' and ')} in ${ms} ms`)
  },
  (err: unknown) => {
    console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  },
)
