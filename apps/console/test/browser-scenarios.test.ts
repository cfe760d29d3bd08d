import { ACT_CHECK, CHECK_ORDER, type CheckName } from '@jwt-factory/jwt'
import { describe, expect, it } from 'vitest'
import type { CheckRow } from '../../../scripts/test/console-page.ts'
import { consoleInBrowser } from './browser-setup.ts'

/**
 * The page in a real browser against the real console and cluster: each scenario's button draws
 * the run's hops, decodes the token at the hop selected and lists each verifier's checks.
 */
const at = consoleInBrowser()

/** The diagram's hops: their span ids in order, and each accessible name matching its pattern. */
async function expectHops(expected: [id: string, name: RegExp][]): Promise<void> {
  const hops = await at.page.hops()
  expect(hops.map((hop) => hop.id)).toEqual(expected.map(([id]) => id))
  hops.forEach((hop, i) => expect(hop.name).toMatch(expected[i]![1]))
}

/**
 * A verification whose every check ran and passed, in the order the verifier runs them; a
 * verifier that expects an `act` chain checks it last.
 */
async function expectAccepted(spanId: string, checksAct = false): Promise<void> {
  const rows = await at.page.checks(spanId)
  const names: CheckName[] = checksAct ? [...CHECK_ORDER, ACT_CHECK] : [...CHECK_ORDER]
  expect(rows).toEqual(names.map((name): CheckRow => ({ name, status: 'passed' })))
}

/** The hop whose name matches; in scenarios 2 and 4 the two calls' ids depend on which starts first. */
async function hopId(name: RegExp): Promise<string> {
  const found = (await at.page.hops()).filter((hop) => name.test(hop.name))
  expect(found, String(name)).toHaveLength(1)
  return found[0]!.id
}

const activeKid = async () =>
  (await at.state()).factory.keys.servicea.find((key: { active: boolean }) => key.active).kid

describe('the scenario buttons, in a browser', () => {
  it('Scenario 1: servicea gets a token, serviceb has the factory verify it; the token decoded at the hop', async () => {
    expect(await at.page.run(1)).toBe(200)
    await expectHops([
      ['1', /^Hop 1, user to servicea: GET \/scenario1, 200/],
      [
        '1.1',
        /^Hop 1\.1, servicea(: reused its token| to jwt-factory: POST \/issueToken\/servicea)/,
      ],
      ['1.2', /^Hop 1\.2, servicea to serviceb: GET \/scenario1-server .*, 200/],
      ['1.2.1', /^Hop 1\.2\.1, serviceb to jwt-factory: POST \/verify\/servicea, 200/],
      ['1.2.1.1', /^Hop 1\.2\.1\.1, jwt-factory: ✓ verified/],
    ])
    await expectAccepted('1.2.1.1')
    await at.page.selectHop('1.2')
    const token = await at.page.token()
    expect(token.header).toEqual({ alg: 'ES256', kid: await activeKid(), typ: 'JWT' })
    // Trust lives at the factory: the private key the hop's token was signed with is its.
    const lit = await at.page.litKeys()
    expect(lit.filter((key) => key.kind === 'private')).toEqual([
      { holder: 'jwt-factory', kind: 'private', kid: await activeKid() },
    ])
    expect(token.payload).toMatchObject({ sub: 'servicea', aud: 'serviceb' })
    // The claims' times stay relative to now: iat's note moves on with the clock.
    const iat = at.page.page.locator('[data-testid="token"] .json-note[data-claim="iat"]')
    const iatThen = await iat.textContent()
    await expect.poll(() => iat.textContent(), { timeout: 5000 }).not.toBe(iatThen)
    // Selecting another hop shows its token: the call that carried none.
    await at.page.selectHop('1')
    expect((await at.page.token()).header).toEqual({})
  })

  it("a checklist's heading selects its hop and keeps the keyboard on it", async () => {
    expect(await at.page.run(1)).toBe(200)
    const heading = at.page.page.getByTestId('checklist-1.2.1.1').getByRole('button')
    await heading.focus()
    await at.page.page.keyboard.press('Enter')
    await at.page.page.locator('[data-testid="hop-1.2.1.1"][aria-pressed="true"]').waitFor()
    // The checklists were drawn again in the same task as the selection.
    // Runs in the page; the tests type-check without the DOM library, so its document is described.
    const focused = await heading.evaluate(
      (button) =>
        button ===
        (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
    )
    expect(focused).toBe(true)
  })

  it('Scenario 1 with a fresh token: the factory issues one for this call', async () => {
    expect(await at.page.run(1, ['fresh token'])).toBe(200)
    expect((await at.page.hops())[1]?.name).toMatch(
      /^Hop 1\.1, servicea to jwt-factory: POST \/issueToken\/servicea, 200 .* issued/,
    )
  })

  it('Scenario 1 expired: exp fails, iat is not run, every check before exp passed', async () => {
    expect(await at.page.run(1, ['expired'])).toBe(403)
    const rows = await at.page.checks('1.2.1.1')
    const exp = rows.findIndex((row) => row.name === 'exp')
    expect(rows.slice(0, exp).every((row) => row.status === 'passed')).toBe(true)
    expect(rows.slice(exp)).toEqual([
      { name: 'exp', status: 'failed' },
      { name: 'iat', status: 'not run' },
    ])
    await at.page.selectHop('1.2')
    // The decoded exp is in the past, and marked so.
    const token = await at.page.token()
    expect(token.payload.exp).toBeLessThan(Date.now() / 1000)
    expect(await at.page.page.locator('[data-testid="token"] .part-payload .late').count()).toBe(1)
  })

  it('Scenario 1 verify with JWKS: serviceb verifies itself, with the factory’s public keys', async () => {
    expect(await at.page.run(1, ['verify with JWKS'])).toBe(200)
    await expectHops([
      ['1', /^Hop 1, user to servicea: GET \/scenario1\?verify=jwks, 200/],
      ['1.1', /^Hop 1\.1, servicea/],
      ['1.2', /^Hop 1\.2, servicea to serviceb: GET \/scenario1-server\?verify=jwks/],
      [
        '1.2.1',
        /^Hop 1\.2\.1, serviceb: ✓ verified \(verify with servicea's keys at jwt-factory\)/,
      ],
    ])
    await expectAccepted('1.2.1')
  })

  it('Scenario 2: one token per audience, serviceb and servicec each have the factory verify theirs', async () => {
    expect(await at.page.run(2)).toBe(200)
    const hops = await at.page.hops()
    expect(hops).toHaveLength(9)
    for (const peer of ['serviceb', 'servicec']) {
      const call = await hopId(new RegExp(`servicea to ${peer}: GET /scenario2-server`))
      const names = Object.fromEntries(hops.map((hop) => [hop.id, hop.name]))
      expect(names[`${call}.1`]).toMatch(`${peer} to jwt-factory: POST /verify/servicea, 200`)
      expect(names[`${call}.1.1`]).toMatch('jwt-factory: ✓ verified')
      await expectAccepted(`${call}.1.1`)
      await at.page.selectHop(call)
      expect((await at.page.token()).payload).toMatchObject({ sub: 'servicea', aud: peer })
    }
  })

  it('Scenario 3: servicea signs its own token; serviceb checks it with servicea’s public key', async () => {
    expect(await at.page.run(3)).toBe(200)
    await expectHops([
      ['1', /^Hop 1, user to servicea: GET \/scenario3, 200/],
      ['1.1', /^Hop 1\.1, servicea: signed a token \(sign locally\)/],
      ['1.2', /^Hop 1\.2, servicea to serviceb: GET \/scenario3-server .*self-signed token, 200/],
      [
        '1.2.1',
        /^Hop 1\.2\.1, serviceb: ✓ verified \(verify with servicea's scenario-3 public key\)/,
      ],
    ])
    await expectAccepted('1.2.1')
    await at.page.selectHop('1.2')
    const token = await at.page.token()
    const { kid } = (await at.state()).servicea.scenario3Key
    expect(token.header).toMatchObject({ alg: 'ES256', kid })
    expect(token.payload).toMatchObject({ sub: 'servicea', aud: 'serviceb' })
    // Trust lives with servicea: its own private key, and the public half serviceb checked with.
    expect(await at.page.litKeys()).toEqual([
      { holder: 'servicea', kind: 'private', kid },
      { holder: 'serviceb', kind: 'public', kid },
    ])
  })

  it('Scenario 4: scenario 3 for serviceb and servicec at once', async () => {
    expect(await at.page.run(4)).toBe(200)
    const hops = await at.page.hops()
    expect(hops.filter((hop) => hop.name.includes('signed a token'))).toHaveLength(2)
    for (const peer of ['serviceb', 'servicec']) {
      const call = await hopId(new RegExp(`servicea to ${peer}: GET /scenario4-server`))
      expect(hops.find((hop) => hop.id === `${call}.1`)?.name).toMatch(
        `${peer}: ✓ verified (verify with servicea's scenario-3 public key)`,
      )
      await expectAccepted(`${call}.1`)
    }
  })

  it('Scenario 5: the user logs in; servicea checks the user token, serviceb both tokens', async () => {
    expect(await at.page.run(5)).toBe(200)
    await expectHops([
      ['0', /^Hop 0, user to jwt-factory: POST \/login, 200/],
      ['1', /^Hop 1, user to servicea: GET \/scenario5, 200/],
      ['1.1', /^Hop 1\.1, servicea: ✓ verified \(verify with the user keys at jwt-factory\)/],
      [
        '1.2',
        /^Hop 1\.2, servicea(: reused its token| to jwt-factory: POST \/issueToken\/servicea)/,
      ],
      ['1.3', /^Hop 1\.3, servicea to serviceb: GET \/scenario5-server/],
      ['1.3.1', /^Hop 1\.3\.1, serviceb to jwt-factory: POST \/verify\/servicea, 200/],
      ['1.3.1.1', /^Hop 1\.3\.1\.1, jwt-factory: ✓ verified/],
      ['1.3.2', /^Hop 1\.3\.2, serviceb: ✓ verified \(verify with the user keys at jwt-factory\)/],
    ])
    for (const verification of ['1.1', '1.3.1.1', '1.3.2']) await expectAccepted(verification)
    await at.page.selectHop('0')
    const token = await at.page.token()
    expect(token.header).toMatchObject({ typ: 'at+jwt' })
    expect(token.payload).toMatchObject({ sub: 'viewer', aud: 'servicea' })
    // The user's call to servicea carries that token: servicea verifies it at 1.1.
    await at.page.selectHop('1')
    expect((await at.page.token()).payload).toMatchObject({ sub: 'viewer', aud: 'servicea' })
  })
})

describe('the page with the network cut', () => {
  it('asks only its own origin for anything: no font, script or CDN from elsewhere', async () => {
    const { page } = at
    const origin = new URL(at.stack.url).origin
    // Anything bound elsewhere would fail here as it does offline; none may even be tried.
    await page.context.route(
      (url) => url.origin !== origin,
      (route) => route.abort('internetdisconnected'),
    )
    await page.page.reload()
    await page.page.locator('#live[data-open="true"]').waitFor()
    expect(await page.run(5)).toBe(200)
    expect(await page.attack('alg: none')).toBe(403)
    const asked = page.requests.map((url) => new URL(url))
    expect(asked.filter((url) => url.origin !== origin)).toEqual([])
    // The recording saw the page, its assets, the event stream, the state and the runs.
    expect(new Set(asked.map((url) => url.pathname))).toEqual(
      new Set([
        '/',
        '/assets/console.js',
        '/assets/console.css',
        '/events',
        '/control/state',
        '/control/run',
        '/control/break',
      ]),
    )
  })

  it('Scenario 6: the token is exchanged at each hop; servicec sees the user, with serviceb and servicea in act', async () => {
    expect(await at.page.run(6)).toBe(200)
    await expectHops([
      ['0', /^Hop 0, user to jwt-factory: POST \/login, 200/],
      ['1', /^Hop 1, user to servicea: GET \/scenario6, 200/],
      ['1.1', /^Hop 1\.1, servicea: ✓ verified/],
      ['1.2', /^Hop 1\.2, servicea to jwt-factory: POST \/token .*, 200/],
      ['1.3', /^Hop 1\.3, servicea to serviceb: GET \/scenario6-server/],
      ['1.3.1', /^Hop 1\.3\.1, serviceb: ✓ verified/],
      ['1.3.2', /^Hop 1\.3\.2, serviceb to jwt-factory: POST \/token .*, 200/],
      ['1.3.3', /^Hop 1\.3\.3, serviceb to servicec: GET \/scenario6-server/],
      ['1.3.3.1', /^Hop 1\.3\.3\.1, servicec: ✓ verified/],
    ])
    await expectAccepted('1.1')
    // serviceb and servicec each check who carried the token as the last check of their one.
    for (const verification of ['1.3.1', '1.3.3.1']) await expectAccepted(verification, true)
    expect(await at.page.page.getByTestId('checklist-1.3.3.1').textContent()).toContain(
      'serviceb ← servicea',
    )
    // The token servicec got: the user as sub, the chain of services that carried it in act.
    await at.page.selectHop('1.3.3')
    const token = await at.page.token()
    expect(token.header).toMatchObject({ typ: 'at+jwt' })
    expect(token.payload).toMatchObject({
      sub: 'viewer',
      aud: 'servicec',
      client_id: 'serviceb',
      act: { sub: 'serviceb', act: { sub: 'servicea' } },
    })
  })
})
