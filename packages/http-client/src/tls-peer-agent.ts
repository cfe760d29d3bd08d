import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { Agent, buildConnector, Client, Pool, type Dispatcher } from 'undici'

/**
 * The certificate a TLS server presented on one connection, as node verified it against the CA:
 * the shape of @jwt-factory/trace's `TlsPeer`, which a span carries.
 */
export interface TlsPeer {
  /** The certificate's subject CN, or its first subjectAltName when it has no CN: `localhost`. */
  peer: string
  /** Its issuer's CN: the CA that vouched for it. */
  ca: string
}

/**
 * Passed as undici's `opaque`: the client that carries the request writes the TLS peer of its
 * connection here just before the request's first byte goes out on it.
 */
export class TlsPeerSlot {
  tls: TlsPeer | undefined
}

export interface TlsPeerAgentOptions {
  /** Agent options but `connect` and `factory`, which this function sets. */
  agent: Omit<Agent.Options, 'connect' | 'factory'>
  /** What buildConnector takes: the CA, a client certificate, the connect timeout. */
  connect: buildConnector.BuildOptions
}

/**
 * An undici Agent whose every connection remembers the certificate its server presented. Each
 * undici Client holds one connection at a time and sends one request at a time on it (pipelining
 * 1, undici's default, set here so it stays so), so the client that writes a request names the
 * connection that carries it; pools of such clients per origin, as undici's own Agent makes.
 */
export function createTlsPeerAgent(options: TlsPeerAgentOptions): Agent {
  // A resumed TLS 1.3 session shows the client no peer certificate (node gives {}), so every
  // connection makes a full handshake and verifies the certificate itself; keep-alive keeps
  // new connections rare.
  const connector = buildConnector({ ...options.connect, maxCachedSessions: 0 })
  return new Agent({
    ...options.agent,
    pipelining: 1,
    factory: (origin, poolOptions) =>
      new Pool(origin, {
        ...poolOptions,
        factory: (clientOrigin, clientOptions) =>
          new TlsPeerClient(clientOrigin, clientOptions as Client.Options, connector),
      }),
  })
}

class TlsPeerClient extends Client {
  readonly #connection: { tls?: TlsPeer | undefined }

  constructor(origin: URL, options: Client.Options, connector: buildConnector.connector) {
    const connection: { tls?: TlsPeer | undefined } = {}
    super(origin, {
      ...options,
      connect: (connectOptions, callback) =>
        connector(connectOptions, (...args) => {
          // Each new connection (a reconnect too) replaces the last one's peer.
          connection.tls = args[1] ? tlsPeerOf(args[1]) : undefined
          callback(...args)
        }),
    })
    this.#connection = connection
  }

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    // request() passes its options on as they are: `opaque` included, though the type omits it.
    const slot = (options as { opaque?: unknown }).opaque
    if (!(slot instanceof TlsPeerSlot)) return super.dispatch(options, handler)
    return super.dispatch(
      options,
      beforeConnect(handler, () => (slot.tls = this.#connection.tls)),
    )
  }
}

/**
 * The handler with `run` called first in its `onConnect`, which undici calls once the request
 * has its connection, right before writing it there. Every other member is the handler's own.
 */
function beforeConnect(
  handler: Dispatcher.DispatchHandler,
  run: () => void,
): Dispatcher.DispatchHandler {
  return new Proxy(handler, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target)
      if (typeof value !== 'function') return value
      if (key !== 'onConnect') return value.bind(target)
      return (...args: unknown[]) => {
        run()
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
}

/** The peer of a TLS socket whose certificate node verified; undefined for anything else. */
function tlsPeerOf(socket: Socket | TLSSocket): TlsPeer | undefined {
  if (!('getPeerCertificate' in socket) || !socket.authorized) return undefined
  const cert = socket.getPeerCertificate()
  const peer = firstValue(cert.subject?.CN) ?? firstAltName(cert.subjectaltname)
  const ca = firstValue(cert.issuer?.CN)
  return peer && ca ? { peer, ca } : undefined
}

/** A certificate name field: one string, or an array when the name repeats. */
function firstValue(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? value[0] : value) || undefined
}

/** `DNS:localhost, IP Address:127.0.0.1` → `localhost`. */
function firstAltName(altNames: string | undefined): string | undefined {
  const first = altNames?.split(',')[0]?.trim()
  return first?.slice(first.indexOf(':') + 1) || undefined
}
