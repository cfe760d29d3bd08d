/**
 * The mutation run over the verify path (`npm run mutation`; not part of `npm test`, it takes
 * minutes). Only the jwt package's own tests judge its mutants: a mutant that only a service's
 * or the factory's test kills is a gap in the package's tests (vitest.mutation.config.ts says
 * how they are chosen). The report goes to reports/mutation/.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: [
    'packages/jwt/src/verify.ts',
    'packages/jwt/src/verify-result.ts',
    'packages/jwt/src/jose-errors.ts',
    'packages/jwt/src/duplicate-members.ts',
    'packages/jwt/src/key-source.ts',
    'packages/jwt/src/token-header.ts',
  ],
  coverageAnalysis: 'perTest',
  // The sandbox needs the jwt package, the root configs and the test reporters (scripts/test),
  // never the generated keys and certificates.
  ignorePatterns: [
    '/apps',
    '/packages/*',
    '!/packages/jwt',
    '/keys',
    '/certs',
    '/data',
    '/scenario-3-keys',
    '/.turbo',
    '/.ci',
  ],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: 95 },
  // A timeout counts as a kill: on a machine busy with other test runs, a mutant must be truly
  // stuck (an endless loop), not merely slow, before it is called one.
  timeoutMS: 15_000,
}
