import type { Jwks } from '@jwt-factory/jwt'

/**
 * One JWKS of the service keys and the user key. Each source hands back the same object until
 * its keys change, so the merged set is rebuilt only then, never per request.
 */
export function publishedJwks(...sources: Array<{ jwks(): Jwks }>): () => Jwks {
  let parts: Jwks[] = []
  let merged: Jwks = { keys: [] }
  return () => {
    const current = sources.map((s) => s.jwks())
    if (current.some((jwks, i) => jwks !== parts[i])) {
      parts = current
      merged = { keys: current.flatMap((jwks) => jwks.keys) }
    }
    return merged
  }
}
