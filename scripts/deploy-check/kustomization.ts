/** The fields of deploy/kustomization.yaml the checks read. */
export interface Kustomization {
  namespace?: string
  resources?: string[]
  images?: { name: string; newName?: string; newTag?: string }[]
  configMapGenerator?: Generator[]
  secretGenerator?: Generator[]
  [field: string]: unknown
}

export interface Generator {
  name: string
  envs?: string[]
  files?: string[]
  literals?: string[]
  [field: string]: unknown
}

export const KUSTOMIZATION_FILE = 'kustomization.yaml'

/** A generator's source files, without kustomize's optional `key=` prefix. */
export const generatorSources = (g: Generator): string[] =>
  [...(g.envs ?? []), ...(g.files ?? [])].map((f) => f.replace(/^[^=]*=/, ''))

/**
 * kustomize's own fields (kustomize.config.k8s.io/v1beta1) that deploy/ may use: a misspelt one
 * (`resource:`) would leave its files out, so it is caught here rather than on a cluster.
 */
const KUSTOMIZATION_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'resources',
  'components',
  'images',
  'labels',
  'commonLabels',
  'commonAnnotations',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
  'patches',
  'replicas',
  'replacements',
])

/** Why kustomization.yaml is not a kustomization kustomize would read as written. */
export function kustomizationProblems(k: Kustomization): string[] {
  const problems: string[] = []
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') {
    problems.push(`${KUSTOMIZATION_FILE} is not a kustomize.config.k8s.io/v1beta1 Kustomization`)
  }
  for (const field of Object.keys(k)) {
    if (!KUSTOMIZATION_FIELDS.has(field))
      problems.push(`${KUSTOMIZATION_FILE}: unknown field ${field}`)
  }
  return problems
}
