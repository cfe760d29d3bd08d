import { join } from 'node:path'
import { DEPLOYED_APPS } from '../deploy/deployed-apps.ts'
import { deployEnvFile } from '../deploy/env-file.ts'
import { generatorSources, type Kustomization } from './kustomization.ts'

/** The env file `npm run deploy -- prepare` writes for an app, as kustomization.yaml names it. */
const generatedEnvPath = (app: string) => `generated/env/${app}.env`

/**
 * Each generated ConfigMap's variables, made offline from the same function `prepare` writes
 * generated/env/ with (the committed .env less what the Deployment sets), so the checks see what
 * the cluster would, without a generated/ folder.
 */
export function generatedConfigMaps(
  root: string,
  kustomization: Kustomization,
): Map<string, Record<string, string>> {
  const maps = new Map<string, Record<string, string>>()
  for (const g of kustomization.configMapGenerator ?? []) {
    const values: Record<string, string> = {}
    for (const source of generatorSources(g)) {
      const app = DEPLOYED_APPS.find((a) => generatedEnvPath(a.name) === source)
      if (app === undefined)
        throw new Error(`configMapGenerator ${g.name}: ${source} is no app's env file`)
      const text = deployEnvFile(join(root, app.envFile), app.envFile, app.setByDeployment)
      Object.assign(values, parseKustomizeEnv(text))
    }
    for (const literal of g.literals ?? []) Object.assign(values, parseKustomizeEnv(literal))
    maps.set(g.name, values)
  }
  return maps
}

/** kustomize's env file: `KEY=value` lines, `#` comments, the value taken as written. */
export function parseKustomizeEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.indexOf('=')
    if (at > 0) values[line.slice(0, at)] = line.slice(at + 1)
  }
  return values
}
