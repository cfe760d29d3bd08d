import type { IBackoff } from 'cockatiel'
import type { IOptions } from 'etcd3'

/** The two libraries, loaded by openEtcdBackend only when STORE=etcd. */
export interface EtcdLibraries {
  etcd3: typeof import('etcd3')
  cockatiel: typeof import('cockatiel')
}

export interface EtcdTls {
  /** The CA etcd's certificate is checked against. */
  ca: Buffer
  /** A client certificate and its key, for etcd's --client-cert-auth. */
  cert?: Buffer
  key?: Buffer
}

export interface EtcdConnectOptions {
  endpoints: readonly string[]
  /** The whole budget of one call, retries included. */
  timeoutMs: number
  tls?: EtcdTls
}

/** Retries inside a call's budget: quick at first (a leader election), then a few times a second. */
const RETRY_DELAYS = { initialDelay: 20, maxDelay: 250 }
/** A watch stream reconnects within about a second of etcd coming back. */
const WATCH_DELAYS = { initialDelay: 50, maxDelay: 1000 }
/**
 * Pings on open streams, so a watch on a member that vanished without closing its socket is
 * noticed; etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time).
 */
const KEEPALIVE_MS = 10_000

/**
 * How the etcd3 client is told to behave when etcd is slow or gone. Its defaults do not fit a
 * factory that must answer 503 quickly and heal by itself: each of 3 tries has its own deadline
 * (no bound on the whole call), a host's circuit opens for 5 s after 3 failures (so calls keep
 * failing for up to 5 s after etcd is back), and a watch waits up to 30 s between reconnects.
 * Here a call has one budget, timeoutMs: inside it, a failed try (a member down, a leader
 * election) is retried on another member; at its end the call rejects. No circuit breaker: a
 * stopped member refuses the connection at once, so trying it costs nothing. (etcd3 1.1.2 does
 * not read its `dialTimeout` option; the budget bounds connecting too.)
 */
export function etcdClientOptions(libs: EtcdLibraries, options: EtcdConnectOptions): IOptions {
  const { etcd3, cockatiel } = libs
  const { timeoutMs, tls } = options
  const retry = cockatiel.retry(cockatiel.handleWhen(etcd3.isRecoverableError), {
    maxAttempts: Number.POSITIVE_INFINITY,
    backoff: new cockatiel.ExponentialBackoff(RETRY_DELAYS),
  })
  const budget = cockatiel.timeout(timeoutMs, cockatiel.TimeoutStrategy.Aggressive)
  return {
    hosts: [...options.endpoints],
    ...(tls && {
      credentials: { rootCertificate: tls.ca, privateKey: tls.key, certChain: tls.cert },
    }),
    // Streams (watches) live on; every other call ends with the budget even mid-try.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    faultHandling: {
      host: () => cockatiel.noop,
      global: cockatiel.wrap(budget, retry),
      // etcd3's types say a backoff; it calls a backoff factory (its own default is this class).
      watchBackoff: new cockatiel.ExponentialBackoff(WATCH_DELAYS) as unknown as IBackoff<unknown>,
    },
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': WATCH_DELAYS.initialDelay,
      'grpc.max_reconnect_backoff_ms': WATCH_DELAYS.maxDelay,
      'grpc.keepalive_time_ms': KEEPALIVE_MS,
      'grpc.keepalive_timeout_ms': timeoutMs,
    },
  }
}
