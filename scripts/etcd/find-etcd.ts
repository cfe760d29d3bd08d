import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** The etcd binary on PATH (Debian's etcd-server installs /usr/bin/etcd), or undefined. */
export function findEtcd(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, 'etcd')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this folder
    }
  }
  return undefined
}
