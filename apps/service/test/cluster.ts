/** The real cluster lives beside the demo's supervisor, so `npm run bench` can start it too. */
export {
  Cluster,
  freePorts,
  root,
  type ClusterOptions,
  type ProcessName,
} from '../../../scripts/demo/cluster.ts'

export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, init)
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null }
}
