import { describe, expect, it } from 'vitest'
import { runSoak, SOAK_PATHS } from '../soak/soak.ts'

/**
 * The CI version of `npm run soak`: every scenario at 64 connections for 30 seconds against a real
 * cluster. Thirty seconds is too short to tell a leak from V8's heap warm-up, so memory is only
 * reported here; the long soak judges it.
 */
describe('soak, 30 seconds', () => {
  it(
    'fault: every scenario at 64 connections for 30 s → no failed request, p99 measured in every window',
    { timeout: 120_000 },
    async () => {
      const report = await runSoak({ durationSeconds: 30, connections: 64, windowSeconds: 10 })
      console.log(
        `soak: ${report.requests} requests, ${report.errors} errors, p99 by window ${report.windows.map((w) => `${w.p99Ms} ms`).join(', ')}, RSS ${JSON.stringify(report.rss)}`,
      )
      expect(report.connections).toBe(Math.floor(64 / SOAK_PATHS.length) * SOAK_PATHS.length)
      expect(report.windows).toHaveLength(3)
      expect(report.errors).toBe(0)
      for (const w of report.windows) {
        expect(w.failures).toEqual({})
        expect(w.requests).toBeGreaterThan(0)
        expect(Number.isFinite(w.p99Ms)).toBe(true)
      }
      for (const rss of Object.values(report.rss)) expect(rss.endMb).toBeGreaterThan(0)
    },
  )
})
