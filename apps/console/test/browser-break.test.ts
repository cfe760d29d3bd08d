import { describe, expect, it } from 'vitest'
import { consoleInBrowser } from './browser-setup.ts'

/**
 * "Break it" in a real browser: each attack's button sends serviceb a crafted token, and the
 * checklist of serviceb's verification shows the check that caught it, every check before it
 * passed and none after it run.
 */
const at = consoleInBrowser()

const ATTACKS = [
  ['Edit a claim', 'signature'],
  ['alg: none', 'alg'],
  ['Wrong audience', 'aud'],
  ['Wrong key', 'key'],
  ['User token in the service slot', 'key'],
  ['Replay for another audience', 'aud'],
] as const

describe('Break it, in a browser', () => {
  it.each(ATTACKS)('%s is caught at %s', async (attack, caughtAt) => {
    const status = await at.page.attack(attack)
    expect([401, 403]).toContain(status)
    const hops = await at.page.hops()
    expect(hops.map((hop) => hop.id)).toEqual(['1', '1.1'])
    expect(hops[0]!.name).toMatch(/^Hop 1, user to serviceb: GET \/scenario1-server\?verify=jwks/)
    expect(hops[1]!.name).toMatch(`serviceb: ✗ refused: ${caughtAt}`)
    const rows = await at.page.checks('1.1')
    const failed = rows.findIndex((row) => row.status === 'failed')
    expect(rows[failed]?.name).toBe(caughtAt)
    // Before it, every check passed, but for a key never looked up: a JWKS refuses `alg: none`
    // while choosing a key.
    const before = rows.slice(0, failed).map((row) => `${row.name}:${row.status}`)
    expect(before.filter((row) => !row.endsWith(':passed'))).toEqual(
      caughtAt === 'alg' ? ['key:not run'] : [],
    )
    expect(rows.slice(failed + 1).every((row) => row.status === 'not run')).toBe(true)
    // The first failure is the row marked as where the token was caught.
    const marked = at.page.page.locator('[data-testid="checklist-1.1"] .check-first-failure')
    expect(await marked.getAttribute('data-check')).toBe(caughtAt)
  })

  it('Edit a claim sends the claim as the learner edited it, the signature unchanged', async () => {
    const page = at.page.page
    await page.getByRole('textbox', { name: 'claim', exact: true }).fill('aud')
    await page.getByRole('textbox', { name: 'new value', exact: true }).fill('servicec')
    expect(await at.page.attack('Edit a claim')).toBe(403)
    await at.page.selectHop('1')
    expect((await at.page.token()).payload).toMatchObject({ sub: 'servicea', aud: 'servicec' })
    const rows = await at.page.checks('1.1')
    expect(rows.find((row) => row.status === 'failed')?.name).toBe('signature')
  })
})
