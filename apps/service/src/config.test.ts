import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

describe('loadConfig: the factory issuers a service checks', () => {
  it('defaults both from FACTORY_URL, as the factory derives them from its PUBLIC_URL', () => {
    expect(loadConfig({}, '/x')).toMatchObject({
      factoryIssuer: 'https://localhost:5443',
      factoryUserIssuer: 'https://localhost:5443/users',
    })
    expect(loadConfig({ FACTORY_URL: 'https://127.0.0.1:6443/' }, '/x')).toMatchObject({
      factoryIssuer: 'https://127.0.0.1:6443',
      factoryUserIssuer: 'https://127.0.0.1:6443/users',
    })
  })

  it('takes FACTORY_ISSUER and FACTORY_USER_ISSUER when the factory is reached by another name', () => {
    const env = {
      FACTORY_URL: 'https://jwt-factory.internal:5443',
      FACTORY_ISSUER: 'https://factory.example',
      FACTORY_USER_ISSUER: 'https://factory.example/users',
    }
    expect(loadConfig(env, '/x')).toMatchObject({
      factoryUrl: 'https://jwt-factory.internal:5443',
      factoryIssuer: 'https://factory.example',
      factoryUserIssuer: 'https://factory.example/users',
    })
    // Empty, as a cleared variable is: the default again.
    expect(loadConfig({ FACTORY_ISSUER: '', FACTORY_USER_ISSUER: ' ' }, '/x')).toMatchObject({
      factoryIssuer: 'https://localhost:5443',
      factoryUserIssuer: 'https://localhost:5443/users',
    })
  })
})

describe('loadConfig: the mesh variant (?verify=mesh), off unless set', () => {
  it('trusts no header and knows no mesh URL by default', () => {
    expect(loadConfig({}, '/x')).toMatchObject({
      meshPeers: { serviceb: undefined, servicec: undefined },
      meshPayloadHeader: undefined,
    })
  })

  it("takes each peer's plain HTTP URL in the mesh and the sidecar's payload header", () => {
    const config = loadConfig(
      {
        SERVICEB_MESH_URL: 'http://serviceb.jwt-factory.svc.cluster.local:3001/',
        SERVICEC_MESH_URL: 'http://servicec:3002',
        MESH_PAYLOAD_HEADER: 'X-JWT-Payload',
      },
      '/x',
    )
    expect(config.meshPeers).toEqual({
      serviceb: 'http://serviceb.jwt-factory.svc.cluster.local:3001',
      servicec: 'http://servicec:3002',
    })
    expect(config.meshPayloadHeader).toBe('x-jwt-payload')
  })

  it('refuses an HTTPS mesh URL (no sidecar reads a token there) and a header that carries a token', () => {
    expect(() =>
      loadConfig(
        {
          SERVICEB_MESH_URL: 'https://serviceb:8443',
          MESH_PAYLOAD_HEADER: 'Authorization',
          SERVICEC_MESH_URL: 'not a url',
        },
        '/x',
      ),
    ).toThrow(
      /SERVICEB_MESH_URL.*plain HTTP port[\s\S]*SERVICEC_MESH_URL[\s\S]*MESH_PAYLOAD_HEADER/,
    )
    expect(() => loadConfig({ MESH_PAYLOAD_HEADER: 'x jwt' }, '/x')).toThrow(/HTTP header name/)
  })

  it('takes a mesh URL as an origin only: a path, query or user name is refused', () => {
    const meshUrl = (url: string) => loadConfig({ SERVICEB_MESH_URL: url }, '/x').meshPeers.serviceb
    expect(meshUrl('http://serviceb:3001/')).toBe('http://serviceb:3001')
    for (const url of [
      'http://serviceb:3001/scenario1-server',
      'http://serviceb:3001?verify=jwks',
      'http://servicea@serviceb:3001',
      'http://serviceb:3001/#x',
    ]) {
      expect(() => meshUrl(url), url).toThrow(/SERVICEB_MESH_URL: must be an origin only/)
    }
  })

  it("trusts the sidecar's connections from 127.0.0.6 (Istio's inbound source address) unless told another IP address", () => {
    expect(loadConfig({}, '/x').meshSidecarAddress).toBe('127.0.0.6')
    expect(loadConfig({ MESH_SIDECAR_ADDRESS: '127.0.0.7' }, '/x').meshSidecarAddress).toBe(
      '127.0.0.7',
    )
    expect(loadConfig({ MESH_SIDECAR_ADDRESS: '::6' }, '/x').meshSidecarAddress).toBe('::6')
    expect(() => loadConfig({ MESH_SIDECAR_ADDRESS: 'localhost' }, '/x')).toThrow(
      /MESH_SIDECAR_ADDRESS/,
    )
  })
})
