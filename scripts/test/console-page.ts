import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'

/** The screen the tests, the screenshots and the bench open the console on. */
export const CONSOLE_VIEWPORT = { width: 1400, height: 1000 } as const

/** The variants' accessible names, as a scenario's card offers them. */
export const VARIANTS = ['expired', 'verify with JWKS', 'fresh token', 'skip serviceb'] as const
export type Variant = (typeof VARIANTS)[number]

export interface CheckRow {
  name: string
  status: string
}

export interface DecodedToken {
  header: Record<string, unknown>
  payload: Record<string, unknown>
}

/**
 * The teaching console's page in a browser context of its own, driven as a learner drives it
 * (buttons and checkboxes by their accessible names) and read through its stable hooks
 * (`data-testid`, `data-check`, `data-status`, `data-state`, `data-lit`). It records every request the page
 * makes and every error it throws.
 */
export class ConsolePage {
  readonly requests: string[] = []
  readonly errors: string[] = []

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('request', (request) => this.requests.push(request.url()))
    page.on('pageerror', (error) => this.errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push(message.text())
    })
  }

  /** Opens the page and waits until its event stream is open (the header says "live"). */
  static async open(browser: Browser, url: string): Promise<ConsolePage> {
    const context = await browser.newContext({ viewport: CONSOLE_VIEWPORT })
    // The copy buttons write to the clipboard; the tests read what a learner would paste.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(url).origin,
    })
    const tab = new ConsolePage(context, await context.newPage())
    await tab.page.goto(url)
    await tab.page.locator('#live[data-open="true"]').waitFor()
    return tab
  }

  /** Presses "Scenario n" with exactly these variants checked; resolves with the answer's status. */
  async run(scenario: number, variants: readonly Variant[] = []): Promise<number> {
    const card = this.page.getByRole('group', { name: `Scenario ${scenario}`, exact: true })
    for (const variant of VARIANTS) {
      const box = card.getByRole('checkbox', { name: variant, exact: true })
      if ((await box.count()) > 0) await box.setChecked(variants.includes(variant))
      else if (variants.includes(variant)) throw new Error(`Scenario ${scenario} has no ${variant}`)
    }
    return this.press(card.getByRole('button', { name: `Scenario ${scenario}`, exact: true }))
  }

  /** Presses a break-it attack by its button's name; resolves with serviceb's status. */
  attack(name: string): Promise<number> {
    return this.press(this.button(name))
  }

  button(name: string): Locator {
    return this.page.getByRole('button', { name, exact: true })
  }

  /**
   * A press clears the answer at once (the page draws the new run from nothing), so the status
   * that appears next is this run's. A run the console could not make rejects with its words.
   */
  async press(button: Locator): Promise<number> {
    await button.click()
    const status = this.page.getByTestId('answer-status')
    const failed = this.page.locator('#answer [role="alert"]')
    await status.or(failed).waitFor({ state: 'attached' })
    if ((await failed.count()) > 0)
      throw new Error(`the console could not run it: ${await failed.textContent()}`)
    return Number(await status.getAttribute('data-status'))
  }

  /** The answer's body, as the answer panel shows it. */
  async answerBody(): Promise<unknown> {
    return JSON.parse((await this.page.locator('#answer pre.body').textContent()) ?? 'null')
  }

  /** The diagram's arrows: each hop's span id and its accessible name, in drawing order. */
  hops(): Promise<{ id: string; name: string }[]> {
    return this.page
      .getByTestId('sequence')
      .locator('[data-testid^="hop-"]')
      .evaluateAll((hops) =>
        hops.map((hop) => ({
          id: hop.getAttribute('data-testid')!.slice('hop-'.length),
          name: hop.getAttribute('aria-label') ?? '',
        })),
      )
  }

  hop(id: string): Locator {
    return this.page.getByTestId(`hop-${id}`)
  }

  /** Selects a hop as the keyboard does (Tab to it, Enter): the arrows overlap their parents'. */
  async selectHop(id: string): Promise<void> {
    const hop = this.hop(id)
    await hop.focus()
    await this.page.keyboard.press('Enter')
    await this.page.locator(`[data-testid="hop-${id}"][aria-pressed="true"]`).waitFor()
  }

  /**
   * What the token panel's "Copy as curl" puts on the clipboard for hop `id`, or undefined when
   * the panel offers none for it.
   */
  async copiedCurl(id: string): Promise<string | undefined> {
    await this.selectHop(id)
    const button = this.page.getByTestId('token').getByRole('button', { name: 'Copy as curl' })
    if ((await button.count()) === 0) return undefined
    await button.click()
    await this.page.getByTestId('token').getByRole('button', { name: 'Copied ✓' }).waitFor()
    // Runs in the page; this file type-checks without the DOM library.
    return this.page.evaluate('navigator.clipboard.readText()') as Promise<string>
  }

  /** The checks of the verification span `id`, in the order they ran. */
  checks(id: string): Promise<CheckRow[]> {
    return this.page
      .getByTestId(`checklist-${id}`)
      .locator('[data-check]')
      .evaluateAll((rows) =>
        rows.map((row) => ({
          name: row.getAttribute('data-check') ?? '',
          status: row.getAttribute('data-status') ?? '',
        })),
      )
  }

  /** The decoded header and payload of the token panel, each member as its JSON value. */
  token(): Promise<DecodedToken> {
    return this.page.getByTestId('token').evaluate((panel) => {
      const part = (kind: string) =>
        Object.fromEntries(
          [...panel.querySelectorAll(`.part-${kind} .json-line`)].map((line) => {
            const [key, value] = line.children
            return [JSON.parse(key!.textContent!), JSON.parse(value!.textContent!)]
          }),
        )
      return { header: part('header'), payload: part('payload') }
    })
  }

  /** The keys the keys panel lights for the selected hop: who holds each, and which half. */
  litKeys(): Promise<{ holder: string; kind: string; kid: string }[]> {
    return this.page
      .getByTestId('keys')
      .locator('li[data-lit]')
      .evaluateAll((keys) =>
        keys.map((key) => ({
          holder: key.closest('[data-participant]')?.getAttribute('data-participant') ?? '',
          kind: key.querySelector('.key-kind')?.textContent ?? '',
          kid: key.getAttribute('data-kid') ?? '',
        })),
      )
  }

  /** The state the faults panel shows for a process: running, stopped or frozen. */
  processState(name: string): Promise<string | null> {
    return this.page.getByTestId(`process-${name}`).getAttribute('data-state')
  }

  /** A countdown's milliseconds left, or undefined while it has nothing to count. */
  async countdown(testid: string): Promise<number | undefined> {
    const remaining = await this.page.getByTestId(testid).getAttribute('data-remaining')
    return remaining === null ? undefined : Number(remaining)
  }

  close(): Promise<void> {
    return this.context.close()
  }
}
