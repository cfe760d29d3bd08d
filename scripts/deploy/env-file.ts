import { readEnvFile } from '@jwt-factory/config'

/**
 * A committed .env as kustomize's configMapGenerator reads it (`KEY=value` lines): its values as
 * dotenv reads them, without the variables its Deployment sets and without the comments, which
 * speak of a checkout's relative paths and loopback.
 */
export function deployEnvFile(
  path: string,
  label: string,
  setByDeployment: readonly string[],
): string {
  const values = readEnvFile(path, {})
  // readEnvFile reads a missing file as empty, as the apps do; here it is a mistake.
  if (Object.keys(values).length === 0) throw new Error(`${label}: missing or empty`)
  const lines = Object.entries(values)
    .filter(([key]) => !setByDeployment.includes(key))
    .map(([key, value]) => {
      if (value === undefined || /[\r\n]/.test(value))
        throw new Error(`${label}: ${key} has no single-line value`)
      return `${key}=${value}`
    })
  return [
    `# From ${label} by npm run deploy -- prepare; not edited here (it is rewritten).`,
    `# Set by the Deployment instead: ${setByDeployment.join(', ')}.`,
    ...lines,
    '',
  ].join('\n')
}
