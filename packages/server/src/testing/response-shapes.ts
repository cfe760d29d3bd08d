/**
 * The JSON a refusal may have. Fuzz tests throw anything at an app and must tell a well-formed
 * refusal from a leak or a crash, so these check the parsed body's structure, not its values.
 */
const isText = (v: unknown) => typeof v === 'string'

/** `{ error: { name, code, message } }`, as every HttpError answers (502/504 add `hop`). */
export function isErrorShape(body: unknown): boolean {
  const error = (body as { error?: Record<string, unknown> } | null)?.error
  return (
    !!error &&
    isText(error.name) &&
    isText(error.code) &&
    /^ERR_/.test(String(error.code)) &&
    isText(error.message)
  )
}

/**
 * The verify result of a refused token: `{ valid: false, error: { name, message, code }, claims: {} }`
 * (the scenario servers add a `message`). A refusal never carries the token's claims.
 */
export function isVerifyRefusal(body: unknown): boolean {
  const b = body as { valid?: unknown; claims?: unknown } | null
  return b?.valid === false && isErrorShape(b) && JSON.stringify(b.claims) === '{}'
}
