import { CHECK_ORDER } from '@jwt-factory/jwt'
import { describe, expect, it } from 'vitest'
import type { CheckRow, Variant } from '../../../scripts/test/console-page.ts'
import { consoleConfigFor } from '../../../scripts/demo/console-cluster.ts'
import { consoleInBrowser, pastedCurlStatus } from './browser-setup.ts'

/**
 * Every variant of every scenario, pressed as a learner presses it, in a real browser against
 * the real console and cluster: the diagram, the decoded token and the checklists say what the
 * variant changed. browser-scenarios.test.ts walks each scenario's plain run hop by hop.
 */
const at = consoleInBrowser()

/** The variants each scenario's card offers, read from the page: a new one cannot go untested. */
async function offeredVariants(): Promise<Map<number, string[]>> {
  const offered = new Map<number, string[]>()
  for (let scenario = 1; scenario <= 6; scenario++) {
    const card = at.page.page.getByRole('group', { name: `Scenario ${scenario}`, exact: true })
    const names = await card
      .getByRole('checkbox')
      .evaluateAll((boxes) => boxes.map((box) => (box.closest('label')?.textContent ?? '').trim()))
    offered.set(scenario, names)
  }
  return offered
}

/** The expected variants per scenario: what the issue asks each card to offer. */
const EXPECTED_VARIANTS: Record<number, Variant[]> = {
  1: ['expired', 'verify with JWKS', 'fresh token'],
  2: ['expired', 'verify with JWKS', 'fresh token'],
  3: ['expired'],
  4: ['expired'],
  5: ['expired', 'verify with JWKS', 'fresh token'],
  6: ['skip serviceb'],
}

/** The checklists the page shows for this run, by their verification's span id. */
async function checklists(): Promise<Map<string, CheckRow[]>> {
  const ids = await at.page.page
    .locator('[data-testid^="checklist-"]')
    .evaluateAll((lists) =>
      lists.map((list) => list.getAttribute('data-testid')!.slice('checklist-'.length)),
    )
  const rows = new Map<string, CheckRow[]>()
  for (const id of ids) rows.set(id, await at.page.checks(id))
  return rows
}

/** A checklist that stopped at `failed`: every check before it passed, the rest did not run. */
const stoppedAt = (failed: string): CheckRow[] =>
  CHECK_ORDER.map((name, i) => {
    const at = CHECK_ORDER.indexOf(failed as (typeof CHECK_ORDER)[number])
    return { name, status: i < at ? 'passed' : i === at ? 'failed' : 'not run' }
  })
const allPassed = (rows: CheckRow[]) => rows.every((row) => row.status === 'passed')

/** The hops whose accessible names match, with their span ids. */
async function hopsNamed(pattern: RegExp): Promise<{ id: string; name: string }[]> {
  return (await at.page.hops()).filter((hop) => pattern.test(hop.name))
}

/** The service token servicea sent each verifier: the hops servicea made to serviceb or servicec. */
const callsToPeers = (scenario: number) =>
  hopsNamed(new RegExp(`^Hop [\\d.]+, servicea to service[bc]: GET /scenario${scenario}-server`))

describe('every variant of every scenario, in a browser', () => {
  it('each card offers the variants of its scenario', async () => {
    expect(Object.fromEntries(await offeredVariants())).toEqual(EXPECTED_VARIANTS)
  })

  // As the original documents: in scenarios 2 and 4 the token for servicec is the expired one.
  const expiredFor: Record<number, string> = { 1: 'serviceb', 2: 'servicec', 3: 'serviceb' }
  Object.assign(expiredFor, { 4: 'servicec', 5: 'serviceb' })
  for (const scenario of [1, 2, 3, 4, 5]) {
    const victim = expiredFor[scenario]!
    it(`Scenario ${scenario} expired: ${victim}'s token is refused at exp, every check before it passed; a peer with a valid token accepts it`, async () => {
      expect(await at.page.run(scenario, ['expired'])).toBe(403)
      const peers = await callsToPeers(scenario)
      expect(peers.length).toBe([2, 4].includes(scenario) ? 2 : 1)
      const lists = await checklists()
      for (const peer of peers) {
        // The verification of the token that call carried: at the peer, or at the factory for it.
        const verifications = [...lists].filter(([id]) => id.startsWith(`${peer.id}.`))
        expect(verifications.length, peer.name).toBeGreaterThan(0)
        await at.page.selectHop(peer.id)
        const token = await at.page.token()
        expect(token.payload).toMatchObject({ sub: 'servicea' })
        const late = at.page.page.locator('[data-testid="token"] .part-payload .late')
        if (token.payload.aud === victim) {
          expect(verifications.map(([, rows]) => rows)).toEqual([stoppedAt('exp')])
          expect(token.payload.exp).toBeLessThan(Date.now() / 1000)
          expect(await late.count()).toBe(1)
        } else {
          expect(verifications.every(([, rows]) => allPassed(rows))).toBe(true)
          expect(await late.count()).toBe(0)
        }
      }
    })
  }

  for (const scenario of [1, 2, 5]) {
    it(`Scenario ${scenario} verify with JWKS: each peer checks servicea's token itself, with the factory's published keys; no /verify call`, async () => {
      expect(await at.page.run(scenario, ['verify with JWKS'])).toBe(200)
      expect(await hopsNamed(/POST \/verify\//)).toEqual([])
      const peers = await callsToPeers(scenario)
      expect(peers.length).toBe(scenario === 2 ? 2 : 1)
      const lists = await checklists()
      for (const peer of peers) {
        expect(peer.name).toMatch(/\?verify=jwks/)
        const [own] = await hopsNamed(
          new RegExp(
            `^Hop ${peer.id.replaceAll('.', '\\.')}\\.\\d+, service[bc]: ✓ verified \\(verify with servicea's keys at jwt-factory\\)`,
          ),
        )
        expect(own, peer.name).toBeDefined()
        expect(allPassed(lists.get(own!.id)!)).toBe(true)
        const keySet = at.page.page.getByTestId(`checklist-${own!.id}`)
        expect(await keySet.textContent()).toContain("servicea's keys at jwt-factory")
      }
    })

    it(`Scenario ${scenario} fresh token: the factory issues servicea a new token for this call`, async () => {
      expect(await at.page.run(scenario, ['fresh token'])).toBe(200)
      const issued = await hopsNamed(
        /^Hop [\d.]+, servicea to jwt-factory: POST \/issueToken\/servicea, 200 .*· issued$/,
      )
      expect(issued).toHaveLength(scenario === 2 ? 2 : 1)
      expect(await hopsNamed(/servicea: reused its token/)).toEqual([])
      // The token each peer got is the one just issued: the call says so.
      for (const peer of await callsToPeers(scenario)) expect(peer.name).toMatch(/· new token/)
      await at.page.selectHop(issued[0]!.id)
      expect((await at.page.token()).payload).toMatchObject({ sub: 'servicea' })
    })
  }

  it("Scenario 6 skip serviceb: servicea asks for servicec's token itself; the factory's exchange policy refuses, servicec is never called", async () => {
    expect(await at.page.run(6, ['skip serviceb'])).toBe(403)
    const [exchange] = await hopsNamed(
      /^Hop [\d.]+, servicea to jwt-factory: POST \/token \(token exchange for servicec\), 400/,
    )
    expect(exchange).toBeDefined()
    expect(await hopsNamed(/to service[bc]:/)).toEqual([])
    // servicea's own check of the user's token came first, and passed.
    const lists = await checklists()
    expect([...lists.values()].every(allPassed)).toBe(true)
    expect((await at.page.answerBody()) as object).toMatchObject({
      oauth: { error: 'invalid_target' },
    })
  })
})

describe('the keys a hop used light up where they did the work', () => {
  const activeKid = async () =>
    (await at.state()).factory.keys.servicea.find((key: { active: boolean }) => key.active).kid

  it("verify with JWKS lights serviceb's copy of the factory's key; asking the factory lights none at serviceb, though serviceb holds it", async () => {
    expect(await at.page.run(1, ['verify with JWKS'])).toBe(200)
    // servicec too holds a copy, fetched by scenario 2: it checked nothing in this run.
    expect(await at.page.run(2, ['verify with JWKS'])).toBe(200)
    expect(await at.page.run(1, ['verify with JWKS'])).toBe(200)
    const kid = await activeKid()
    await at.page.selectHop('1.2')
    expect(await at.page.litKeys()).toEqual([
      { holder: 'jwt-factory', kind: 'private', kid },
      { holder: 'serviceb', kind: 'public', kid },
    ])
    expect(await at.page.run(1)).toBe(200)
    await at.page.selectHop('1.2')
    const held = await at.page.page
      .locator('[data-participant="serviceb"] li[data-kid]')
      .evaluateAll((keys) => keys.map((key) => key.getAttribute('data-kid')))
    expect(held).toContain(kid)
    expect(await at.page.litKeys()).toEqual([{ holder: 'jwt-factory', kind: 'private', kid }])
  })
})

describe('Copy as curl on every hop, pasted into a shell', () => {
  // The user's login asks the password on the terminal; the test types it into the command.
  const withPassword = (curl: string, { demoUser } = consoleConfigFor(at.stack.cluster)) =>
    curl.replace(` -u ${demoUser.name} `, ` -u ${demoUser.name}:${demoUser.password} `)

  const runs: [scenario: number, variants: Variant[]][] = [
    [1, ['fresh token']],
    [1, ['expired', 'fresh token']],
    [5, ['fresh token']],
    [6, []],
    [6, ['skip serviceb']],
  ]
  for (const [scenario, variants] of runs) {
    it(`Scenario ${scenario}${variants.length ? ` (${variants.join(', ')})` : ''}: every call's curl gets the answer the hop got; steps inside one process have none`, async () => {
      await at.page.run(scenario, variants)
      const hops = await at.page.hops()
      for (const hop of hops) {
        const curl = await at.page.copiedCurl(hop.id)
        const isCall = / to [\w-]+: /.test(hop.name)
        expect(curl === undefined, hop.name).toBe(!isCall)
        if (!curl) continue
        const status = Number(/, (\d{3})\b/.exec(hop.name.split(': ').slice(1).join(': '))?.[1])
        expect(await pastedCurlStatus(withPassword(curl)), `${hop.name}\n${curl}`).toBe(status)
      }
    })
  }
})
