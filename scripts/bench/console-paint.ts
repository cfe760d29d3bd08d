import type { Cluster } from '../demo/cluster.ts'
import { serveConsoleFor } from '../demo/console-cluster.ts'
import { launchBrowser } from '../test/browser.ts'
import { CONSOLE_VIEWPORT } from '../test/console-page.ts'
import { percentile } from './load.ts'

/** Enough opens for a median that one slow open does not move; each takes well under a second. */
export const CONSOLE_OPENS = 10

export interface Spread {
  medianMs: number
  maxMs: number
}

/** The teaching console as a learner first meets it, opened afresh `opens` times. */
export interface ConsolePaint {
  opens: number
  /** The page's first-contentful-paint, from navigation start. */
  firstContentfulPaint: Spread
  /** From pressing "Scenario 1" in a fresh page until its diagram shows the whole run. */
  scenario1Diagram: Spread
}

/**
 * Resolves with the page's first-contentful-paint (a `paint` performance entry) once the browser
 * has recorded it. Given as text: the page's CSP allows no eval, and the scripts know no DOM.
 */
const FIRST_CONTENTFUL_PAINT = `new Promise((resolve) => {
  new PerformanceObserver((list, observer) => {
    const paint = list.getEntriesByName('first-contentful-paint')[0]
    if (!paint) return
    observer.disconnect()
    resolve(paint.startTime)
  }).observe({ type: 'paint', buffered: true })
})`

/**
 * Presses "Scenario 1" and resolves with the milliseconds until the diagram shows the call to
 * serviceb and the root request answered (no longer drawn pending): timed inside the page, so
 * the driver's round trips are not counted.
 */
const PRESS_SCENARIO_1 = `new Promise((resolve) => {
  const drawn = () =>
    document.querySelector('[data-testid="hop-1.2"]') &&
    document.querySelector('[data-testid="hop-1"]:not(.hop-pending)')
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Scenario 1')
  const started = performance.now()
  new MutationObserver((_, observer) => {
    if (!drawn()) return
    observer.disconnect()
    resolve(performance.now() - started)
  }).observe(document.getElementById('diagram'), { childList: true, subtree: true })
  button.click()
})`

/**
 * Serves the console on the running cluster and opens it in headless chromium, each time in a
 * fresh browser context (no cache, no storage): the first paint, and the first Scenario 1 run.
 */
export async function measureConsolePaint(
  cluster: Cluster,
  opens = CONSOLE_OPENS,
): Promise<ConsolePaint> {
  const served = await serveConsoleFor(cluster)
  const browser = await launchBrowser().catch(async (err: unknown) => {
    await served.close()
    throw err
  })
  const paints: number[] = []
  const diagrams: number[] = []
  try {
    for (let i = 0; i < opens; i++) {
      const context = await browser.newContext({ viewport: CONSOLE_VIEWPORT })
      try {
        const page = await context.newPage()
        await page.goto(served.url)
        paints.push(Number(await page.evaluate(FIRST_CONTENTFUL_PAINT)))
        await page.locator('#live[data-open="true"]').waitFor()
        diagrams.push(Number(await page.evaluate(PRESS_SCENARIO_1)))
      } finally {
        await context.close()
      }
    }
  } finally {
    await browser.close()
    await served.close()
  }
  return { opens, firstContentfulPaint: spread(paints), scenario1Diagram: spread(diagrams) }
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  return { medianMs: percentile(sorted, 0.5), maxMs: sorted.at(-1) ?? Number.NaN }
}
