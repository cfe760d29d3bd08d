import type { KvBackend } from '../stores/kv/kv-backend.ts'
import type { IpcClient } from './ipc-client.ts'
import type { IpcHost } from './ipc-host.ts'

const CHANGE = 'kv.change'

/** The primary serves `backend` to the workers; every change is told to all of them. */
export function hostKvBackend(host: IpcHost, backend: KvBackend) {
  host.handle('kv.get', (key: string) => backend.get(key))
  host.handle('kv.list', (prefix: string) => backend.list(prefix))
  host.handle('kv.commit', (expect: never, writes: never) => backend.commit(expect, writes))
  return backend.watch('', (keys) => host.publish(CHANGE, keys))
}

/** A worker's view of the primary's backend: every call is one round trip on the channel. */
export function ipcKvBackend(client: IpcClient, description: string): KvBackend {
  return {
    description,
    get: (key) => client.call('kv.get', [key]),
    list: (prefix) => client.call('kv.list', [prefix]),
    commit: (expect, writes) => client.call('kv.commit', [expect, writes]),
    watch(prefix, onChange) {
      return client.subscribe<readonly string[]>(CHANGE, (keys) => {
        const changed = keys.filter((k) => k.startsWith(prefix))
        if (changed.length > 0) onChange(changed)
      })
    },
    close: async () => {},
  }
}
