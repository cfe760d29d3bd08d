/**
 * The entry for `key` in a map that keeps only the newest `max` keys: a page left open for a
 * day of runs must not grow without bound. Map iteration is insertion order, so the first key
 * is the oldest.
 */
export function recentEntry<K, V>(map: Map<K, V>, key: K, create: () => V, max: number): V {
  const found = map.get(key)
  if (found !== undefined) return found
  const made = create()
  map.set(key, made)
  while (map.size > max) map.delete(map.keys().next().value as K)
  return made
}
