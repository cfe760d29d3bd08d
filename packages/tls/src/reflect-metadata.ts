/**
 * The few Reflect metadata functions tsyringe needs, installed only when no polyfill is loaded.
 *
 * Why: @peculiar/x509 registers its algorithms through tsyringe, which refuses to load without
 * `Reflect.getMetadata` (the x509 README asks for the `reflect-metadata` package). tsyringe reads
 * and writes plain per-class metadata (getMetadata, getOwnMetadata, defineMetadata) and nothing
 * else, so a WeakMap is enough; a real polyfill loaded earlier is kept as it is.
 */
type Target = object
type MetadataKey = unknown

const store = new WeakMap<Target, Map<MetadataKey, unknown>>()

function getOwnMetadata(key: MetadataKey, target: Target): unknown {
  return store.get(target)?.get(key)
}

/** Like the proposal: own metadata first, then up the prototype chain (a subclass sees its base's). */
function getMetadata(key: MetadataKey, target: Target): unknown {
  for (let t: Target | null = target; t !== null; t = Object.getPrototypeOf(t) as Target | null) {
    const own = store.get(t)
    if (own?.has(key)) return own.get(key)
  }
  return undefined
}

function defineMetadata(key: MetadataKey, value: unknown, target: Target): void {
  let own = store.get(target)
  if (!own) store.set(target, (own = new Map()))
  own.set(key, value)
}

const reflect = Reflect as unknown as Record<string, unknown>
if (typeof reflect.getMetadata !== 'function') {
  Object.assign(reflect, { getMetadata, getOwnMetadata, defineMetadata })
}
