import { decodeJwt, type JWTPayload } from 'jose'
import { actChainText, actorsOf } from './act-chain.ts'
import type { KeySource } from './key-source.ts'
import { expectedTyp } from './token-type.ts'
import {
  ACT_CHECK,
  CHECK_ORDER,
  REQUIRED_CLAIMS,
  type Check,
  type CheckName,
  type VerificationReport,
} from './verification-report.ts'
import { isoTime } from './verify-result.ts'
import type { VerificationRun, VerifyTokenOptions } from './verify.ts'

/**
 * The checks of one verification in the order they ran: each one before the failure passed
 * (jose stops at the first failure), the failure is marked, and the rest did not run. What a
 * check saw is read from the token as it came (the claims of a refused token are never trusted,
 * only shown).
 */
export function reportOf(
  token: string,
  keys: Pick<KeySource, 'name' | 'cache'>,
  options: VerifyTokenOptions,
  run: VerificationRun,
): VerificationReport {
  const { header, failed, now, clockToleranceSeconds } = run
  const claims = readClaims(token)
  const order: readonly CheckName[] =
    options.actors === undefined ? CHECK_ORDER : [...CHECK_ORDER, ACT_CHECK]
  const failedAt = failed === undefined ? order.length : order.indexOf(failed)
  const nowSeconds = Math.floor(now.getTime() / 1000)
  const shown = describeChecks({ header, claims, keys, options, nowSeconds, clockToleranceSeconds })
  const checks = order.map((name, i): Check => {
    const skipped = name === 'key' && run.keyNotLookedUp === true
    const status = i === failedAt ? 'failed' : i < failedAt && !skipped ? 'passed' : 'not run'
    return { name, status, ...shown[name] }
  })
  const fetchedAt = keys.cache?.().fetchedAt
  const keyFound = failedAt > order.indexOf('alg')
  const alg = typeof header?.alg === 'string' ? header.alg : undefined
  return {
    keys: keys.name,
    ...(keyFound && alg ? { key: { ...(header?.kid ? { kid: header.kid } : {}), alg } } : {}),
    ...(fetchedAt === undefined
      ? {}
      : { keysFetchedSecondsAgo: Math.max(0, Math.round((now.getTime() - fetchedAt) / 1000)) }),
    checks,
    clock: { now: now.toISOString(), toleranceSeconds: clockToleranceSeconds },
    ...(failed ? { failed } : {}),
  }
}

interface Seen {
  header: VerificationRun['header']
  claims: JWTPayload | undefined
  keys: Pick<KeySource, 'name'>
  options: VerifyTokenOptions
  nowSeconds: number
  clockToleranceSeconds: number
}

type Shown = Partial<Record<CheckName, Pick<Check, 'expected' | 'seen'>>>

function describeChecks({ header, claims, keys, options, nowSeconds, ...clock }: Seen): Shown {
  const tolerance = clock.clockToleranceSeconds
  const text = (value: unknown) =>
    value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value)
  const time = (claim: 'exp' | 'nbf' | 'iat') =>
    claims?.[claim] === undefined ? '(none)' : (isoTime(claims[claim]) ?? text(claims[claim]))
  const at = (seconds: number) => isoTime(seconds) ?? String(seconds)
  const required = options.requiredClaims ?? REQUIRED_CLAIMS
  const exact = (expected: string | undefined, seen: unknown) => ({
    expected: expected ?? '(any)',
    seen: text(seen),
  })
  return {
    format: { expected: 'a compact JWS', seen: header ? 'header and payload readable' : '(none)' },
    key: { expected: keys.name, seen: `kid ${text(header?.kid)}` },
    alg: { expected: "the key's own algorithm", seen: text(header?.alg) },
    typ: exact(expectedTyp(options.typ), header?.typ),
    required: {
      expected: required.join(', '),
      seen: claims ? required.filter((c) => c in claims).join(', ') || '(none)' : '(none)',
    },
    iss: exact(options.issuer, claims?.iss),
    sub: exact(options.subject, claims?.sub),
    aud: exact(options.audience, claims?.aud),
    nbf: { expected: `before ${at(nowSeconds + tolerance)}`, seen: time('nbf') },
    exp: { expected: `after ${at(nowSeconds - tolerance)}`, seen: time('exp') },
    iat: { expected: `before ${at(nowSeconds + tolerance)}`, seen: time('iat') },
    act: {
      expected: actChainText(options.actors ?? []),
      seen: claims ? actChainText(actorsOf(claims)) : '(none)',
    },
  }
}

function readClaims(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token)
  } catch {
    return undefined
  }
}
