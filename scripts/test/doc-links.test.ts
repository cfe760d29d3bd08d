import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { anchorsOf, brokenLinks, headingSlug } from './doc-links.ts'
import { documentationPages } from './readme-examples.ts'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

describe('the documentation links', () => {
  it.each(documentationPages(repo))(
    'every relative link in %s names a file and heading that exist',
    (page) => {
      expect(brokenLinks(repo, page)).toEqual([])
    },
  )
})

describe('the link checker itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'doc-links-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), text)
  }

  it('makes the anchors GitHub makes', () => {
    expect(headingSlug('Scenario 5: a user, only through servicea')).toBe(
      'scenario-5-a-user-only-through-servicea',
    )
    expect(headingSlug('Permissions: POST /auth')).toBe('permissions-post-auth')
    expect(headingSlug('A second factor (TOTP)')).toBe('a-second-factor-totp')
    expect([...anchorsOf('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1'])
  })

  it('finds a missing file, a missing heading, and passes what exists', () => {
    write('docs/a.md', '# Page A\n## Keys and key sets\n')
    write(
      'README.md',
      [
        '[ok](docs/a.md) [ok](docs/a.md#keys-and-key-sets) [ok](#here) [web](https://example.com)',
        '# Here',
        '[gone](docs/b.md) [no heading](docs/a.md#rotation) `[in code](nowhere.md)`',
        '```',
        '[in a fence](nowhere.md)',
        '```',
      ].join('\n'),
    )
    expect(brokenLinks(dir, 'README.md')).toEqual([
      { file: 'README.md', line: 3, target: 'docs/b.md', problem: 'no such file: docs/b.md' },
      {
        file: 'README.md',
        line: 3,
        target: 'docs/a.md#rotation',
        problem: 'no heading #rotation in docs/a.md',
      },
    ])
  })
})
