/**
 * Runs `fn` once, `ms` after the last of a burst of calls: the events of one write (a file's
 * temp file and rename, a commit's several keys) arrive together, and one reload serves them all.
 */
export function debounced(fn: () => void, ms: number): { call(): void; cancel(): void } {
  let timer: NodeJS.Timeout | undefined
  return {
    call() {
      clearTimeout(timer)
      timer = setTimeout(fn, ms).unref()
    },
    cancel() {
      clearTimeout(timer)
    },
  }
}
