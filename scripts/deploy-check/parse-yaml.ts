import { parseAllDocuments } from 'yaml'

/** What one YAML file holds: its documents as plain values, or why it cannot be trusted. */
export interface ParsedYaml {
  documents: unknown[]
  problems: string[]
}

/**
 * Every document of a multi-document YAML file. A duplicate key is refused, not resolved: the
 * original demo's AuthorizationPolicy had two `source:` keys in one item, and a parser that keeps
 * the last one silently dropped a condition. Warnings count as problems too (an unknown tag, say),
 * since kubectl's parser may read the same text differently.
 */
export function parseYaml(text: string): ParsedYaml {
  const documents: unknown[] = []
  const problems: string[] = []
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, strict: true })) {
    const issues = [...doc.errors, ...doc.warnings]
    for (const issue of issues) problems.push(issue.message)
    if (issues.length > 0) continue
    const value: unknown = doc.toJS()
    // A `---` with nothing after it is an empty document, which kubectl skips as well.
    if (value !== null && value !== undefined) documents.push(value)
  }
  return { documents, problems }
}
