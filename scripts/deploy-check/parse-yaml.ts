import { type Document, isScalar, parseAllDocuments, visit } from 'yaml'

/** What one YAML file holds: its documents as plain values, or why it cannot be trusted. */
export interface ParsedYaml {
  documents: unknown[]
  problems: string[]
}

/**
 * Every document of a multi-document YAML file. A duplicate key is refused, not resolved: the
 * original demo's AuthorizationPolicy had two `source:` keys in one item, and a parser that keeps
 * the last one silently dropped a condition. Warnings count as problems too (an unknown tag, say),
 * since kubectl's parser may read the same text differently. A map key that is not a string
 * (`5555:` under portLevelMtls) is refused as well: Kubernetes objects are JSON, whose keys are
 * strings, and kustomize stops on it.
 */
export function parseYaml(text: string): ParsedYaml {
  const documents: unknown[] = []
  const problems: string[] = []
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, strict: true })) {
    const issues = [...doc.errors, ...doc.warnings].map((issue) => issue.message)
    issues.push(...nonStringKeys(text, doc))
    problems.push(...issues)
    if (issues.length > 0) continue
    const value: unknown = doc.toJS()
    // A `---` with nothing after it is an empty document, which kubectl skips as well.
    if (value !== null && value !== undefined) documents.push(value)
  }
  return { documents, problems }
}

/** Each map key of a document that YAML reads as a number, boolean or null rather than a string. */
function nonStringKeys(text: string, doc: Document.Parsed): string[] {
  const found: string[] = []
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && typeof pair.key.value !== 'string') {
        const line = text.slice(0, pair.key.range?.[0] ?? 0).split('\n').length
        found.push(`map key ${String(pair.key.value)} at line ${line} is not a string: quote it`)
      }
    },
  })
  return found
}
