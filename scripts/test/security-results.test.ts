import { describe, expect, it } from 'vitest'
import {
  parseSecurityTest,
  renderSecurityResults,
  replaceSection,
  SECTION_END,
  SECTION_START,
} from './security-results.ts'

describe('security results', () => {
  it('reads attack and fault test names, and ignores the rest', () => {
    expect(
      parseSecurityTest(
        'attack: x → 403 Y',
        "serviceb GET /scenario1-server?verify=jwks (the factory's JWKS) under attack",
        true,
      )?.place,
    ).toBe('serviceb /scenario1-server?verify=jwks')
    expect(
      parseSecurityTest('attack: x → 401 Y', 'requireAuth under attack: user tokens (at+jwt)', true)
        ?.place,
    ).toBe('requireAuth (user tokens)')
    expect(
      parseSecurityTest(
        'attack: alg none without signature → 403 JsonWebTokenError',
        'POST /verify/:keyId under attack',
        true,
      ),
    ).toEqual({
      kind: 'attack',
      title: 'alg none without signature',
      outcome: '403 JsonWebTokenError',
      place: 'POST /verify/:keyId',
      passed: true,
    })
    expect(
      parseSecurityTest('fault: servicec stopped → 502 naming servicec', 'faults', false)?.passed,
    ).toBe(false)
    expect(parseSecurityTest('issues a token', 'factory routes', true)).toBeUndefined()
  })

  it('renders one row per attack with every outcome and place, and says when one failed', () => {
    const table = renderSecurityResults([
      {
        kind: 'attack',
        title: 'alg none',
        outcome: '403 JsonWebTokenError',
        place: 'factory',
        passed: true,
      },
      {
        kind: 'attack',
        title: 'alg none',
        outcome: '401 JsonWebTokenError',
        place: 'requireAuth',
        passed: true,
      },
      { kind: 'attack', title: 'a | pipe', outcome: '403 X', place: 'factory', passed: false },
      { kind: 'fault', title: 'factory stopped', outcome: '502', place: 'servicea', passed: true },
    ])
    expect(table).toContain('**Attacks**: 2 kinds, 3 tests.')
    expect(table).toContain(
      '| alg none | 401 JsonWebTokenError; 403 JsonWebTokenError | factory; requireAuth | passed |',
    )
    expect(table).toContain('| a \\| pipe | 403 X | factory | FAILED |')
    expect(table).toContain('| factory stopped | 502 | servicea | passed |')
  })

  it('says "every place" for a row tried wherever the catalogue runs', () => {
    const row = (title: string, place: string) => ({
      kind: 'attack' as const,
      title,
      outcome: '403 E',
      place,
      passed: true,
    })
    const table = renderSecurityResults([
      row('a', 'p1'),
      row('a', 'p2'),
      row('a', 'p3'),
      row('b', 'p1'),
      row('b', 'p2'),
      row('b', 'p3'),
      row('b', 'p4'),
      row('c', 'p9'),
    ])
    expect(table).toContain('Every place: p1; p2; p3; p4.')
    expect(table).toContain('| b | 403 E | every place (4) | passed |')
    expect(table).toContain('| a | 403 E | p1; p2; p3 | passed |')
    expect(table).toContain('| c | 403 E | p9 | passed |')
  })

  it('replaces only the marked section', () => {
    const readme = `# x\n${SECTION_START}\nold\n${SECTION_END}\nrest\n`
    expect(replaceSection(readme, 'new')).toBe(`# x\n${SECTION_START}\nnew\n${SECTION_END}\nrest\n`)
    expect(replaceSection('# no markers', 'new')).toBeUndefined()
  })
})
