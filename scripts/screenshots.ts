import { mkdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { Page } from 'playwright-core'
import { root } from './demo/cluster.ts'
import { startConsoleCluster, type ConsoleCluster } from './demo/console-cluster.ts'
import { launchBrowser } from './test/browser.ts'
import { ConsolePage, type Variant } from './test/console-page.ts'

/**
 * `npm run screenshots`: the teaching console's figures for the docs and the README. Starts a
 * cluster and the console on free ports, runs each scenario in headless chromium and writes
 * docs/img/console-scenario-<n>.png and console-break-it.png: the diagram, the token at the
 * selected hop and the first verifier's checklist, cropped from the page.
 */
const OUT_DIR = join(root, 'docs/img')

/**
 * A fresh token where the factory signs: the figure shows the factory issuing it. `hop`: the hop
 * the figure selects and whose verification's checklist it shows, where the first is not the
 * lesson (scenario 6: the token servicec got, and servicec's check of who passed it on).
 */
const RUNS: { scenario: number; variants: Variant[]; hop?: { call: string; verify: string } }[] = [
  { scenario: 1, variants: ['fresh token'] },
  { scenario: 2, variants: ['fresh token'] },
  { scenario: 3, variants: [] },
  { scenario: 4, variants: [] },
  { scenario: 5, variants: ['fresh token'] },
  { scenario: 6, variants: [], hop: { call: '1.3.3', verify: '1.3.3.1' } },
]
const BREAK_IT = 'Edit a claim'

/**
 * The answer's body repeats the token panel's claims and the logs are text: the figures leave
 * them out, so that the diagram, the token and the checklist fit in one picture.
 */
const FIGURE_CSS = `
  section[aria-labelledby="answer-title"], section[aria-labelledby="logs-title"] { display: none }
  .checklist ~ .checklist { display: none }
`
const MARGIN = 12

/** The figure's one checklist, when it is not the first. */
const onlyChecklist = (spanId: string) => `
  .checklist { display: none }
  .checklist[data-testid="checklist-${spanId}"] { display: block }
`

async function main(): Promise<void> {
  await mkdir(OUT_DIR, { recursive: true })
  let stack: ConsoleCluster | undefined
  const browser = await launchBrowser()
  try {
    stack = await startConsoleCluster()
    const tab = await ConsolePage.open(browser, stack.url)
    await tab.page.addStyleTag({ content: FIGURE_CSS })
    for (const { scenario, variants, hop } of RUNS) {
      const status = await tab.run(scenario, variants)
      if (status !== 200) throw new Error(`Scenario ${scenario} answered ${status}`)
      if (hop) await tab.selectHop(hop.call)
      const style = hop && (await tab.page.addStyleTag({ content: onlyChecklist(hop.verify) }))
      await figure(tab.page, `console-scenario-${scenario}.png`)
      await style?.evaluate((tag) => tag.remove())
    }
    await tab.attack(BREAK_IT)
    await figure(tab.page, 'console-break-it.png')
    if (tab.errors.length > 0) throw new Error(`the page failed: ${tab.errors.join('; ')}`)
  } finally {
    await browser.close()
    await stack?.stop()
  }
}

/** The diagram, the token panel beside it and the checklist under it, as one PNG. */
async function figure(page: Page, name: string): Promise<void> {
  // Boxes are measured in the viewport: at the top of the page they are the page's own.
  await page.evaluate('window.scrollTo(0, 0)')
  const box = async (title: string) => {
    const found = await page.locator(`section[aria-labelledby="${title}"]`).boundingBox()
    if (!found) throw new Error(`the page shows no ${title} section`)
    return found
  }
  const [diagram, checks, token] = await Promise.all(
    ['diagram-title', 'checks-title', 'token-title'].map(box),
  )
  const top = diagram!.y - MARGIN
  const bottom = Math.max(checks!.y + checks!.height, token!.y + token!.height) + MARGIN
  const left = diagram!.x - MARGIN
  const right = token!.x + token!.width + MARGIN
  const path = join(OUT_DIR, name)
  await page.screenshot({
    path,
    fullPage: true,
    clip: { x: left, y: top, width: right - left, height: bottom - top },
  })
  process.stdout.write(`wrote ${relative(root, path)}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
