import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EtcdMember } from './cluster-layout.ts'

/**
 * What a cluster's folder remembers, so `stop` and `status` work from another shell:
 * cluster.json, its members and their ports, kept with the data (a restart must use the same
 * layout); pids.json, the running processes, removed by `stop`.
 */
export interface RunningMember extends EtcdMember {
  pid: number
}

const CLUSTER_FILE = 'cluster.json'
const PIDS_FILE = 'pids.json'

export function ensureRoot(root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o700 })
}

export const readLayout = (root: string): EtcdMember[] | undefined => readJson(root, CLUSTER_FILE)
export const writeLayout = (root: string, members: readonly EtcdMember[]): void =>
  writeJson(root, CLUSTER_FILE, members)

export const readPids = (root: string): RunningMember[] | undefined => readJson(root, PIDS_FILE)
export const writePids = (root: string, members: readonly RunningMember[]): void =>
  writeJson(root, PIDS_FILE, members)
export const removePids = (root: string): void => rmSync(join(root, PIDS_FILE), { force: true })

function readJson<T>(root: string, file: string): T | undefined {
  const path = join(root, file)
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined
}

/** Written whole or not at all: a half-written pid file would lose the processes. */
function writeJson(root: string, file: string, value: unknown): void {
  const path = join(root, file)
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 })
  renameSync(`${path}.tmp`, path)
}
