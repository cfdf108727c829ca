import { HttpProblem } from '../errors.js'

const equalInConstantTime = (a: string, b: string): boolean => {
  let difference = a.length ^ b.length
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
    difference |= (a.charCodeAt(index) || 0) ^ (b.charCodeAt(index) || 0)
  }
  return difference === 0
}

/**
 * Checks `Authorization: Key <key>` or `Authorization: Bearer <key>` against the configured keys and returns the
 * matching key; throws 401.
 * @example const key = assertAuthorized(request.headers.get('authorization'), ['secret'])
 */
export function assertAuthorized(header: string | null, apiKeys: readonly string[]): string {
  const match = /^(?:Key|Bearer)\s+(\S+)\s*$/i.exec(header ?? '')
  const presented = match?.[1]
  const key =
    presented === undefined ? undefined : apiKeys.find((candidate) => equalInConstantTime(presented, candidate))
  if (key !== undefined) return key
  throw new HttpProblem(
    401,
    header ? 'Invalid API key' : "Missing API key: send 'Authorization: Key <key>' or 'Authorization: Bearer <key>'",
    { 'WWW-Authenticate': 'Bearer realm="genimage"' },
  )
}
