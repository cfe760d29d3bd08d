import { OAuth2Server } from 'oauth2-mock-server'
import type { SigningAlgorithm } from '@jwt-factory/jwt'
import { announceListening, readStdinJson, stopOnSigterm } from './reference-child.ts'

/**
 * The bench's peer: oauth2-mock-server, the best-known token issuer that still runs on Node 20
 * (8.2.3 is its last release for it), as it comes: express, jose, `POST /token` with
 * `grant_type=client_credentials`, its keys at `GET /jwks`. Over HTTPS with the factory's
 * certificate (its constructor takes the key and certificate files), with one key of the bench's
 * algorithm in its keystore.
 */
export interface PeerServerConfig {
  alg: SigningAlgorithm
  /** Paths: OAuth2Server reads them itself. */
  keyFile: string
  certFile: string
}

const config = await readStdinJson<PeerServerConfig>()
const server = new OAuth2Server(config.keyFile, config.certFile)
await server.issuer.keys.generate(config.alg)
// Its issuer URL becomes https://localhost:<port>, the name the certificate carries.
await server.start(0, '127.0.0.1')
announceListening(server.address().port)
stopOnSigterm(() => server.stop())
