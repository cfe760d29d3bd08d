/** A request a fuzz test made up: any method, path, headers and body, valid or not. */
export interface FuzzRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: string | Uint8Array | undefined
}

/** What hono's `app.request()` takes; the app answers in-process, no port involved. */
interface InProcessApp {
  request(request: Request): Response | Promise<Response>
}

/** Sends `r` to the app in-process. GET and HEAD requests cannot have a body, so theirs is dropped. */
export async function sendFuzzRequest(app: InProcessApp, r: FuzzRequest): Promise<Response> {
  const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD'
  // Concatenated, not resolved: a path starting "//" must stay a path, not become a host.
  const req = new Request(`http://localhost${r.path}`, {
    method: r.method,
    headers: r.headers,
    ...(hasBody ? { body: r.body } : {}),
  })
  return app.request(req)
}
