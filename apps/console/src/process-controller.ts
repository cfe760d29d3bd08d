/**
 * What a demo process is doing: starting (launched, its /healthz not answering yet), running,
 * stopped (exited), or frozen (SIGSTOP).
 */
export type ProcessState = 'starting' | 'running' | 'stopped' | 'frozen'

export interface ProcessInfo {
  name: string
  state: ProcessState
  /** While it has one. */
  pid?: number
  /** Its HTTP and HTTPS ports. */
  ports: number[]
}

/** What the console hears from the processes: every line they write, every change of state. */
export interface ProcessListener {
  line(name: string, line: string, stream: 'stdout' | 'stderr'): void
  state(info: ProcessInfo): void
}

/**
 * The demo's processes as the console drives them; `npm start`'s Supervisor implements it. Each
 * method answers the process's state afterwards; asking for the state it is in changes nothing.
 */
export interface ProcessController {
  list(): ProcessInfo[]
  /** Starts it again as it was first started, and resolves once it is healthy. */
  start(name: string): Promise<ProcessInfo>
  /** SIGTERM (thawed first); the other processes keep running. */
  stop(name: string): Promise<ProcessInfo>
  /** SIGSTOP: it keeps its sockets and answers nothing, so its callers time out. */
  freeze(name: string): ProcessInfo
  /** SIGCONT. */
  thaw(name: string): ProcessInfo
  /** Until the returned function is called. */
  subscribe(listener: ProcessListener): () => void
}
