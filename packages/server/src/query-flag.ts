/**
 * A query flag such as `?expired=1` or `?trace=1`. Any value but "", "0" and "false" sets it: the
 * original demo honoured `expired=123` too, and its README shows that.
 */
export function isFlagSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}
