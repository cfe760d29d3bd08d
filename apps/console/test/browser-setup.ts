import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import type { ClusterOptions } from '../../../scripts/demo/cluster.ts'
import { startConsoleCluster, type ConsoleCluster } from '../../../scripts/demo/console-cluster.ts'
import { launchBrowser } from '../../../scripts/test/browser.ts'
import { ConsolePage } from '../../../scripts/test/console-page.ts'

export interface ConsoleInBrowser {
  stack: ConsoleCluster
  browser: Browser
  /** One tab for the whole file: opening a page costs more than a run. */
  page: ConsolePage
  /** The console's GET /control/state, as the page polls it. */
  state(): Promise<any>
}

/**
 * One real cluster, the console serving it, one headless chromium and one page, for the tests of
 * a file (started before them, stopped after them). After each test, the page has thrown nothing
 * during it.
 */
export function consoleInBrowser(options: ClusterOptions = {}): ConsoleInBrowser {
  const at = {
    state: () => fetch(`${at.stack.url}control/state`).then((res) => res.json()),
  } as ConsoleInBrowser
  beforeAll(async () => {
    // Both at once; both settled before a failure is thrown, so afterAll stops what started.
    const started = await Promise.allSettled([
      startConsoleCluster(options).then((stack) => (at.stack = stack)),
      launchBrowser().then((browser) => (at.browser = browser)),
    ])
    for (const result of started) if (result.status === 'rejected') throw result.reason
    at.page = await ConsolePage.open(at.browser, at.stack.url)
  })
  afterEach(() => {
    // Taken, not read: an error fails the test it happened in, not every test after it.
    expect(at.page?.errors.splice(0) ?? []).toEqual([])
  })
  afterAll(async () => {
    await at.page?.close()
    await at.browser?.close()
    await at.stack?.stop()
  })
  return at
}

/** Runs a command copied from the page as a learner's shell would; answers the status it got. */
export async function pastedCurlStatus(curl: string): Promise<number> {
  const write = `--silent --output /dev/null --write-out '%{http_code}'`
  const { stdout } = await promisify(execFile)('sh', ['-c', `${curl} ${write}`])
  return Number(stdout)
}
