import { describe, expect, it } from 'vitest'
import { consoleInBrowser, pastedCurlStatus } from './browser-setup.ts'

/**
 * The lesson of keys over time, in a real browser: after servicea's key is retired, the factory
 * refuses tokens signed with it at once, while serviceb's copy of the key set still accepts them;
 * once the copy is older than the factory's max-age, serviceb refetches and refuses them too, and
 * servicea gets a new token. The factory's max-age is short here so the copy ages during the
 * test; the page's own countdown says when it has.
 */
const MAX_AGE_SECONDS = 8
const at = consoleInBrowser({
  env: { 'jwt-factory': { JWKS_MAX_AGE_SECONDS: String(MAX_AGE_SECONDS) } },
})
const SHOWN = { timeout: 5000, interval: 50 }

/** The hops' accessible names of the run on show. */
const hopNames = async () => (await at.page.hops()).map((hop) => hop.name)

/** The kid of the key serviceb's verification found, and its checks, for the JWKS run on show. */
async function servicebCheck() {
  const hops = await at.page.hops()
  const checks = hops.filter((hop) => /^Hop [\d.]+, serviceb: . (verified|refused)/.test(hop.name))
  return Promise.all(
    checks.map(async (hop) => {
      const list = at.page.page.getByTestId(`checklist-${hop.id}`)
      return { name: hop.name, text: (await list.textContent()) ?? '' }
    }),
  )
}

const servicea = async () => (await at.state()).factory.keys.servicea as { kid: string }[]

describe('keys over time: the two paths disagree, then agree', () => {
  it("a retired key: the factory refuses it at once, serviceb's copy accepts it until the copy is older than max-age", async () => {
    // servicea's token, signed with the key about to be retired; the factory checks it.
    expect(await at.page.run(1)).toBe(200)
    const oldKid = (await servicea())[0]!.kid
    await at.page.button("Rotate servicea's key").click()
    await expect.poll(async () => (await servicea()).length, SHOWN).toBe(2)
    // serviceb fetches its copy now, both keys in it, just before the retirement.
    expect(await at.page.run(1, ['verify with JWKS'])).toBe(200)
    await at.page.button('Retire the old key').click()
    await expect.poll(async () => (await servicea()).map((k) => k.kid), SHOWN).not.toContain(oldKid)

    // Disagree: serviceb's copy, still fresh, accepts servicea's cached token, signed with the
    // key the factory no longer holds.
    await expect
      .poll(() => at.page.countdown('countdown-jwks-serviceb'), SHOWN)
      .toBeGreaterThan(1000)
    expect(await at.page.run(1, ['verify with JWKS'])).toBe(200)
    const accepted = await servicebCheck()
    expect(accepted).toHaveLength(1)
    expect(accepted[0]!.name).toMatch(/✓ verified/)
    expect(accepted[0]!.text).toContain(oldKid)
    expect(await hopNames()).not.toContainEqual(expect.stringMatching(/POST \/issueToken/))
    // The same token sent to serviceb to be checked at the factory: refused there, at once.
    const [call] = (await at.page.hops()).filter((hop) => /servicea to serviceb:/.test(hop.name))
    const curl = await at.page.copiedCurl(call!.id)
    expect(curl).toMatch(/\?verify=jwks"$/)
    expect(await pastedCurlStatus(curl!.replace('?verify=jwks"', '"'))).toBe(403)

    // Agree: once the copy is older than max-age, serviceb refetches, finds no such key and
    // refuses; servicea gets a token signed with the new key, which serviceb accepts.
    await expect
      .poll(() => at.page.countdown('countdown-jwks-serviceb'), {
        timeout: (MAX_AGE_SECONDS + 5) * 1000,
        interval: 200,
      })
      .toBeFalsy()
    expect(await at.page.run(1, ['verify with JWKS'])).toBe(200)
    const [refused, renewed] = await servicebCheck()
    expect(refused?.name).toMatch(/✗ refused: key/)
    expect(refused?.text).toContain(oldKid)
    expect(renewed?.name).toMatch(/✓ verified/)
    expect(renewed?.text).not.toContain(oldKid)
    expect(await hopNames()).toContainEqual(
      expect.stringMatching(/servicea to jwt-factory: POST \/issueToken\/servicea, 200/),
    )
  })
})
