/** One Server-Sent Event as the browser's EventSource gives it: its name and its JSON data. */
export interface ReceivedEvent {
  event: string
  data: any
}

/**
 * `GET /events` read as a browser does, with fetch: every event kept in order; `until` resolves
 * once one arrived that matches, so a test waits for what it expects, never for a fixed time.
 */
export class SseReader {
  readonly events: ReceivedEvent[] = []
  readonly #waiters = new Set<() => void>()
  /** Settles when the server ends the stream or it is aborted. */
  readonly ended: Promise<void>

  private constructor(
    readonly response: Response,
    readonly abort: AbortController,
  ) {
    this.ended = this.#read(response.body!)
  }

  static async open(url: string): Promise<SseReader> {
    const abort = new AbortController()
    return new SseReader(await fetch(url, { signal: abort.signal }), abort)
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.#frame(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
        }
      }
    } catch (err) {
      if (!this.abort.signal.aborted) throw err
    }
  }

  #frame(frame: string): void {
    let event = 'message'
    const data: string[] = []
    for (const line of frame.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice('event: '.length)
      else if (line.startsWith('data: ')) data.push(line.slice('data: '.length))
    }
    this.events.push({ event, data: JSON.parse(data.join('\n')) })
    for (const waiter of this.#waiters) waiter()
  }

  /** The events of one name whose data matches. */
  of(event: string, match: (data: any) => boolean = () => true): any[] {
    return this.events.filter((e) => e.event === event && match(e.data)).map((e) => e.data)
  }

  /** Resolves once `check` holds over the events received so far. */
  until(check: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const waiter = () => {
        if (!check()) return
        this.#waiters.delete(waiter)
        resolve()
      }
      this.#waiters.add(waiter)
      waiter()
    })
  }

  /** The browser goes away. */
  close(): Promise<void> {
    this.abort.abort()
    return this.ended
  }
}
