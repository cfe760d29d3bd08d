const tails = new Map<string, Promise<unknown>>()

/**
 * Runs tasks with the same key one after another (in call order), tasks with other keys freely.
 * A failed task does not stop the ones queued behind it.
 */
export function serializeByKey<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve()
  const result = previous.then(task, task)
  const tail = result.then(
    () => undefined,
    () => undefined,
  )
  tails.set(key, tail)
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key)
  })
  return result
}
