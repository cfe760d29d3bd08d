import { defineConfig } from 'vitest/config'

/** One project per workspace; unit tests sit beside the source, integration tests in test/. */
const project = (
  root: string,
  name: string,
  include = ['src/**/*.test.ts', 'test/**/*.test.ts'],
) => ({
  extends: true as const,
  test: { name, root, include },
})

export default defineConfig({
  test: {
    projects: [
      project('packages/jwt', 'jwt'),
      project('packages/server', 'server'),
      project('packages/tls', 'tls'),
      project('packages/config', 'config'),
      project('packages/files', 'files'),
      project('packages/http-client', 'http-client'),
      project('packages/hono-auth', 'hono-auth'),
      project('packages/trace', 'trace'),
      project('apps/jwt-factory', 'factory'),
      project('apps/service', 'service'),
      // The page's own tests (web/) beside the server's.
      project('apps/console', 'console', [
        'src/**/*.test.ts',
        'test/**/*.test.ts',
        'web/**/*.test.ts',
      ]),
      project('scripts', 'scripts'),
    ],
    reporters: [
      'default',
      './scripts/test/summary-reporter.ts',
      './scripts/test/security-reporter.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
