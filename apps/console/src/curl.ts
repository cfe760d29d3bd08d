/** Safe in a shell as it is; anything else is single-quoted. */
const PLAIN = /^[\w./:@%+=,-]+$/

/** One word for a shell, whatever it holds: as it is when safe, else single-quoted. */
export const shellQuote = (text: string) =>
  PLAIN.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`

/** A URL double-quoted, as the README writes them, unless the shell would expand part of it. */
export const urlWord = (url: string) => (/[$`"\\!]/.test(url) ? shellQuote(url) : `"${url}"`)

/**
 * The console's request as a command the learner can paste at the repository's root:
 * `curl --cacert certs/ca.pem -H 'Authorization: Bearer …' "https://localhost:3443/scenario1?trace=1"`.
 * Headers are single-quoted (a token's dots and dashes as they are); the URL double-quoted, as
 * the README writes URLs with a query.
 */
export function curlCommand(caFile: string, url: string, headers: Record<string, string> = {}) {
  const flags = Object.entries(headers).map(
    ([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`,
  )
  return ['curl', '--cacert', shellQuote(caFile), ...flags, urlWord(url)].join(' ')
}
