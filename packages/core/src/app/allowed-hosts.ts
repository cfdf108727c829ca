/** Hosts accepted when none are configured: the loopback names, on any port. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]']

/** The host of a `Host` value without its port, lower-cased (`[::1]:8787` → `[::1]`, `Example.com:80` → `example.com`). */
const hostname = (host: string): string => {
  const lower = host.toLowerCase()
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1)
  const colon = lower.lastIndexOf(':')
  return colon === -1 ? lower : lower.slice(0, colon)
}

/**
 * A test of `Host` values with Django's `ALLOWED_HOSTS` rules: an exact name (any port), `.example.com` for the
 * domain and its subdomains, `*` for any host.
 * @example createHostMatcher(['.example.com'])('api.example.com:443') // true
 */
export function createHostMatcher(allowedHosts: readonly string[]): (host: string) => boolean {
  const patterns = allowedHosts.map((pattern) => pattern.toLowerCase())
  if (patterns.includes('*')) return () => true
  return (host) => {
    const name = hostname(host).replace(/\.$/, '')
    if (name === '') return false
    return patterns.some((pattern) =>
      pattern.startsWith('.') ? name === pattern.slice(1) || name.endsWith(pattern) : name === pattern,
    )
  }
}
