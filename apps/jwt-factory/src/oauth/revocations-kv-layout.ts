import type { KvDocumentLayout } from '../stores/kv/kv-document-source.ts'
import { checkRecord, parseJson } from '../stores/kv/json-record.ts'
import {
  REVOCATIONS_FORMAT,
  revocationSchema,
  revocationsFileOf,
  type Revocation,
  type RevocationsFile,
} from './revocations-file.ts'

/**
 * The revocations in a KvBackend: `revocations/<encodeURIComponent(jti)>` holding `{jti, exp}`,
 * each expiring by itself once its token can no longer verify (exp + keepSeconds), so the store
 * holds live revocations only without anyone cleaning up.
 */
export function revocationsKvLayout(
  keepSeconds: number,
  now: () => Date,
): KvDocumentLayout<RevocationsFile, Revocation> {
  return {
    name: 'revocations',
    format: REVOCATIONS_FORMAT,
    recordsOf: (doc) => doc.revoked,
    keyOf: (r) => encodeURIComponent(r.jti),
    documentOf: revocationsFileOf,
    encode: ({ jti, exp }) => JSON.stringify({ jti, exp }),
    decode: (value) => checkRecord(parseJson(value), revocationSchema),
    // At least a second: a ttl of 0 or less would be refused, or kept forever.
    ttlSecondsOf: ({ exp }) => Math.max(1, exp + keepSeconds - Math.floor(now().getTime() / 1000)),
  }
}
