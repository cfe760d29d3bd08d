import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseYaml } from './parse-yaml.ts'

/** The folder `npm run deploy -- prepare` writes: git-ignored, never checked as committed text. */
export const GENERATED_DIR = 'generated'

/** One committed YAML file of deploy/, parsed. */
export interface DeployFile {
  /** Relative to deploy/, with forward slashes, as kustomization.yaml names it. */
  path: string
  documents: unknown[]
  problems: string[]
}

/** Every `*.yaml` / `*.yml` under `deployDir`, outside generated/, in a stable order. */
export function readDeployFiles(deployDir: string): DeployFile[] {
  return yamlPaths(deployDir, deployDir).map((path) => ({
    path,
    ...parseYaml(readFileSync(join(deployDir, path), 'utf8')),
  }))
}

function yamlPaths(deployDir: string, dir: string): string[] {
  const paths: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    const path = relative(deployDir, full).split('\\').join('/')
    if (entry.isDirectory()) {
      if (path !== GENERATED_DIR) paths.push(...yamlPaths(deployDir, full))
    } else if (/\.ya?ml$/.test(entry.name)) {
      paths.push(path)
    }
  }
  return paths.sort()
}
