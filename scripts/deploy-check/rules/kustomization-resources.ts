import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { DeployFile } from '../deploy-files.ts'
import { KUSTOMIZATION_FILE, type Kustomization } from '../kustomization.ts'

/**
 * Every resource kustomization.yaml lists exists, and every YAML file of deploy/ is listed: a file
 * left out is never applied, and nothing says so.
 */
export function kustomizationResourceProblems(
  deployDir: string,
  kustomization: Kustomization,
  files: DeployFile[],
): string[] {
  const resources = kustomization.resources ?? []
  const problems = resources
    .filter((r) => !existsSync(join(deployDir, r)))
    .map((r) => `${KUSTOMIZATION_FILE} lists ${r}, which does not exist`)
  for (const file of files) {
    if (file.path !== KUSTOMIZATION_FILE && !resources.includes(file.path)) {
      problems.push(`${file.path} is not in ${KUSTOMIZATION_FILE}'s resources: it is never applied`)
    }
  }
  return problems
}
