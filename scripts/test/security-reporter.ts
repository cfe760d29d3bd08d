import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { Reporter, TestCase, TestModule } from 'vitest/node'
import {
  parseSecurityTest,
  renderSecurityResults,
  replaceSection,
  type SecurityResult,
} from './security-results.ts'

const root = resolve(import.meta.dirname, '../..')
/** The security page of the docs: its table between the security-results markers. */
const readmePath = join(root, 'docs', '13-security.md')

/** Every test file of the project: a run that read fewer did not try every attack. */
function allTestFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) allTestFiles(path, found)
    else if (entry.name.endsWith('.test.ts')) found.push(relative(root, path))
  }
  return found
}

const suiteName = (test: TestCase) =>
  test.parent.type === 'suite' ? test.parent.fullName : test.module.moduleId

/**
 * Keeps the docs' "Security and reliability" table true: after a complete, green run it
 * renders every `attack:` and `fault:` test of this run; with UPDATE_SECURITY_RESULTS=1 it
 * rewrites that section, otherwise a page that says something else fails the run.
 */
export default class SecurityReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const ran = new Set(testModules.map((m) => relative(root, m.moduleId)))
    const complete = allTestFiles(root).every((file) => ran.has(file))
    const results: SecurityResult[] = []
    let failed = false
    for (const module of testModules) {
      if (module.state() === 'failed') failed = true
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'failed') failed = true
        const result = parseSecurityTest(test.name, suiteName(test), state === 'passed')
        if (result) results.push(result)
      }
    }
    if (!complete || failed) return
    const readme = readFileSync(readmePath, 'utf8')
    const updated = replaceSection(readme, renderSecurityResults(results))
    if (updated === undefined) {
      console.error('\nsecurity results: docs/13-security.md has no security-results markers')
      process.exitCode = 1
    } else if (updated !== readme) {
      if (process.env.UPDATE_SECURITY_RESULTS === '1') {
        writeFileSync(readmePath, updated)
        console.log(
          `\nsecurity results: docs/13-security.md updated (${results.length} attack and fault tests)`,
        )
      } else {
        console.error(
          '\nsecurity results: docs/13-security.md does not say what this run tried; run `npm run security-results` and commit it',
        )
        process.exitCode = 1
      }
    }
  }
}
