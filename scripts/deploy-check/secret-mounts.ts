import type { Container, PodSpec } from './kube-objects.ts'

/** A file inside a mounted Secret: the Secret's name and the file's name in it. */
export interface MountedSecretFile {
  secret: string
  file: string
}

/** Which Secret, and which of its files, `path` is in the container; undefined outside a Secret. */
export function mountedSecretFile(
  pod: PodSpec,
  container: Container,
  path: string,
): MountedSecretFile | undefined {
  const mount = (container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`))
  const secret = pod.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName
  if (mount === undefined || secret === undefined) return undefined
  return { secret, file: path.slice(mount.mountPath.length + 1) }
}
