import { describe, expect, it } from 'vitest'
import { consoleInBrowser } from './browser-setup.ts'

/**
 * Keys over time and faults in a real browser, one step after the other on one cluster: rotate
 * and retire servicea's key from the page and watch the caches' countdowns; stop, start, freeze
 * and thaw serviceb and see servicea's answers name it.
 */
/** Short, so that a frozen hop answers 504 quickly; long enough for any loopback hop. */
const HOP_TIMEOUT_MS = 1500
const at = consoleInBrowser({ env: { servicea: { HOP_TIMEOUT_MS: String(HOP_TIMEOUT_MS) } } })
/** The page polls the state every second; a change shows within a few polls. */
const SHOWN = { timeout: 5000, interval: 50 }

/** servicea's keys as the keys panel shows them at jwt-factory. */
function factoryKeys(): Promise<{ kid: string; active: boolean }[]> {
  return at.page.page
    .getByTestId('keys')
    .locator('[data-participant="jwt-factory"] .key-set')
    .filter({ hasText: "servicea's keys" })
    .locator('li[data-kid]')
    .evaluateAll((keys) =>
      keys.map((key) => ({
        kid: key.getAttribute('data-kid')!,
        active: key.querySelector('.key-active') !== null,
      })),
    )
}

const activeKid = async () => (await factoryKeys()).find((key) => key.active)?.kid

/** A countdown that counts: it shows a time left, and shows less a moment later. */
async function expectTicking(testid: string): Promise<void> {
  await expect.poll(() => at.page.countdown(testid), SHOWN).toBeGreaterThan(0)
  const first = (await at.page.countdown(testid))!
  await expect.poll(() => at.page.countdown(testid), SHOWN).toBeLessThan(first)
}

async function expectState(name: string, state: string): Promise<void> {
  await expect.poll(() => at.page.processState(name), SHOWN).toBe(state)
}

describe('keys over time, in a browser', () => {
  let oldKid: string | undefined

  it("shows servicea's cached token and serviceb's copy of the keys counting down", async () => {
    // verify=jwks: serviceb fetches servicea's public keys, and its cache starts counting.
    expect(await at.page.run(1, ['verify with JWKS'])).toBe(200)
    await expectTicking('countdown-token-serviceb')
    await expectTicking('countdown-jwks-serviceb')
  })

  it("Rotate servicea's key: the factory's new key signs, the old one only verifies", async () => {
    await expect.poll(activeKid, SHOWN).toBeDefined()
    oldKid = await activeKid()
    await at.page.button("Rotate servicea's key").click()
    await expect
      .poll(async () => [oldKid, undefined].includes(await activeKid()), SHOWN)
      .toBe(false)
    const keys = await factoryKeys()
    expect(keys).toContainEqual({ kid: oldKid, active: false })
    // The page shows what the factory holds.
    const state = await at.state()
    const active = state.factory.keys.servicea.filter((key: { active: boolean }) => key.active)
    expect(active.map((key: { kid: string }) => key.kid)).toEqual([await activeKid()])
  })

  it('Retire the old key: gone from the factory; servicea, refused its cached token, gets a new one', async () => {
    const newKid = await activeKid()
    await at.page.button('Retire the old key').click()
    await expect
      .poll(async () => (await factoryKeys()).map((key) => key.kid), SHOWN)
      .not.toContain(oldKid)
    // servicea's cached token was signed with the retired key: refused once, then a new one.
    expect(await at.page.run(1)).toBe(200)
    const calls = (await at.page.hops()).filter((hop) =>
      hop.name.includes('servicea to serviceb: GET /scenario1-server'),
    )
    expect(calls.map((call) => call.name.match(/, (\d{3}) ·/)?.[1])).toEqual(['403', '200'])
    await at.page.selectHop(calls[1]!.id)
    expect((await at.page.token()).header.kid).toBe(newKid)
  })
})

/** Resolves once the page has asked for the state and drawn the answer at least once more. */
async function statePolled(): Promise<void> {
  const polls = () => at.page.requests.filter((url) => url.endsWith('/control/state')).length
  // The page asks again only after its last poll was drawn: two more asked, one more drawn.
  const before = polls()
  await expect.poll(polls, SHOWN).toBeGreaterThanOrEqual(before + 2)
}

describe('faults, in a browser', () => {
  it('a press held across a state poll still presses: the buttons are not rebuilt under it', async () => {
    const page = at.page.page
    await at.page.button('Freeze servicec').hover()
    await page.mouse.down()
    await statePolled()
    await page.mouse.up()
    await expectState('servicec', 'frozen')
    await at.page.button('Thaw servicec').click()
    await expectState('servicec', 'running')
  })

  /**
   * The diagram draws the call to serviceb lost on its way, with what servicea made of it, and
   * nothing coming back from serviceb's lane; a hop that was answered is not drawn so.
   */
  async function expectLost(name: RegExp): Promise<void> {
    const lost = await at.page.page
      .locator('[data-testid^="hop-"][data-lost="true"]')
      .evaluateAll((hops) => hops.map((hop) => hop.getAttribute('aria-label')))
    expect(lost).toHaveLength(1)
    expect(lost[0]).toMatch(name)
  }

  it('Stop serviceb: servicea answers 502 naming it; Start it again: 200', async () => {
    await at.page.button('Stop serviceb').click()
    await expectState('serviceb', 'stopped')
    expect(await at.page.run(1)).toBe(502)
    expect(JSON.stringify(await at.page.answerBody())).toContain('serviceb')
    await expectLost(
      /^Hop 1\.2, servicea to serviceb: .*, 502 · .* · serviceb is unreachable: connection refused$/,
    )
    await at.page.button('Start serviceb').click()
    await expectState('serviceb', 'running')
    expect(await at.page.run(1)).toBe(200)
  })

  it('Freeze serviceb: servicea gives up on it with a 504 naming it; Thaw it: 200', async () => {
    await at.page.button('Freeze serviceb').click()
    await expectState('serviceb', 'frozen')
    const pressed = at.page.run(1)
    // While serviceb holds it, the call is drawn under way: servicea waits, in sight.
    await expect
      .poll(async () => (await at.page.hops()).map((hop) => hop.name))
      .toContainEqual(
        expect.stringMatching(
          /^Hop 1\.2, servicea to serviceb: GET \/scenario1-server.*, waiting…$/,
        ),
      )
    expect(await pressed).toBe(504)
    expect(JSON.stringify(await at.page.answerBody())).toContain('serviceb')
    await expectLost(
      /^Hop 1\.2, servicea to serviceb: .*, 504 · .* · serviceb did not answer within \d+ ms$/,
    )
    await at.page.button('Thaw serviceb').click()
    await expectState('serviceb', 'running')
    expect(await at.page.run(1)).toBe(200)
  })
})
