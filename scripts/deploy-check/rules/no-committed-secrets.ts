import { GENERATED_DIR } from '../deploy-files.ts'
import { generatorSources } from '../kustomization.ts'
import { nameOf } from '../kube-objects.ts'
import type { Rule } from './rule.ts'

/** Where `npm run deploy -- prepare` writes the files the generators read (git-ignored). */
const GENERATED_ENV = `${GENERATED_DIR}/env/`
const GENERATED_SECRETS = `${GENERATED_DIR}/secrets/`

/**
 * Nothing secret is committed: no Secret object with values, no secretGenerator literals, every
 * Secret generated from files `prepare` writes, every ConfigMap from its generated env files, and
 * no PEM block anywhere in an object (a key pasted into a ConfigMap or an annotation).
 */
export const noCommittedSecrets: Rule = ({ manifests, kustomization }) => {
  const problems: string[] = []
  for (const m of manifests) {
    if (
      m.object.kind === 'Secret' &&
      (m.object.data !== undefined || m.object.stringData !== undefined)
    ) {
      problems.push(
        `${nameOf(m)} holds values: Secrets come from secretGenerator and generated/ only`,
      )
    }
    if (JSON.stringify(m.object).includes('-----BEGIN')) {
      problems.push(`${nameOf(m)} holds a PEM block: keys and certificates belong in generated/`)
    }
  }
  for (const g of kustomization.secretGenerator ?? []) {
    if (g.literals !== undefined)
      problems.push(`secretGenerator ${g.name} has literals: committed secrets`)
    for (const source of generatorSources(g)) {
      if (!source.startsWith(GENERATED_SECRETS)) {
        problems.push(`secretGenerator ${g.name} reads ${source}, outside ${GENERATED_SECRETS}`)
      }
    }
  }
  for (const g of kustomization.configMapGenerator ?? []) {
    for (const source of generatorSources(g)) {
      if (!source.startsWith(GENERATED_ENV)) {
        problems.push(`configMapGenerator ${g.name} reads ${source}, outside ${GENERATED_ENV}`)
      }
    }
  }
  return problems
}
