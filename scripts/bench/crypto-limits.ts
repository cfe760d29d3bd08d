import {
  generateSigningKey,
  keyList,
  signToken,
  verifyToken,
  type SigningAlgorithm,
} from '@jwt-factory/jwt'
import { CpuMeter } from './process-stats.ts'

/** Operations per second through @jwt-factory/jwt, one at a time and with `inFlight` at once. */
export interface CryptoLimits {
  algorithm: SigningAlgorithm
  inFlight: number
  signPerSecond: { serial: number; inFlight: number }
  verifyPerSecond: { serial: number; inFlight: number }
  /** Verifications that did not come back valid (there should be none). */
  failures: number
  /** The most CPU other processes on the machine used while a figure was measured (% of one core). */
  otherCpuPercent: number
}

export interface CryptoLimitsOptions {
  algorithm: SigningAlgorithm
  inFlight: number
  /** Measured time per figure; a quarter of it again is spent warming up first. */
  durationMs: number
  /** Called before each figure (to wait for an idle machine). */
  beforeEach?: () => Promise<unknown>
}

/** The same claims and options the factory uses for `POST /issueToken/servicea` and `/verify`. */
const ISSUER = 'https://localhost:5443'
const CLAIMS = { iss: ISSUER, sub: 'servicea', aud: 'serviceb' }
const VERIFY = { issuer: ISSUER, audience: 'serviceb', subject: 'servicea' }

export async function measureCryptoLimits(options: CryptoLimitsOptions): Promise<CryptoLimits> {
  const { algorithm, inFlight, durationMs } = options
  const key = await generateSigningKey(algorithm)
  const keys = keyList([key])
  const { token } = await signToken(key, CLAIMS, { ttlSeconds: 3600 })
  let failures = 0
  const sign = async () => {
    await signToken(key, CLAIMS, { ttlSeconds: 3600 })
  }
  const verify = async () => {
    if (!(await verifyToken(token, keys, VERIFY)).valid) failures++
  }
  let otherCpuPercent = 0
  const cpu = new CpuMeter(new Map())
  const rate = async (op: () => Promise<void>, n: number) => {
    await options.beforeEach?.()
    // Started here, not from a timer: ES256 and EdDSA sign synchronously, and a loop of
    // operations that never wait on I/O keeps the event loop from reaching any timer.
    cpu.start()
    const result = await opsPerSecond(op, n, durationMs)
    otherCpuPercent = Math.max(otherCpuPercent, cpu.stop().other ?? 0)
    return result
  }
  const signPerSecond = { serial: await rate(sign, 1), inFlight: await rate(sign, inFlight) }
  const verifyPerSecond = { serial: await rate(verify, 1), inFlight: await rate(verify, inFlight) }
  return { algorithm, inFlight, signPerSecond, verifyPerSecond, failures, otherCpuPercent }
}

/** Runs `op` from `n` loops at once: a warm-up of durationMs / 4, then counts for durationMs. */
async function opsPerSecond(
  op: () => Promise<void>,
  n: number,
  durationMs: number,
): Promise<number> {
  const start = performance.now() + durationMs / 4
  const end = start + durationMs
  let done = 0
  const loop = async () => {
    for (let now = performance.now(); now < end; now = performance.now()) {
      await op()
      const finished = performance.now()
      if (finished >= start && finished < end) done++
    }
  }
  await Promise.all(Array.from({ length: n }, loop))
  return done / (durationMs / 1000)
}
