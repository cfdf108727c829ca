import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { classifyAddress } from './address.js'

/** Options of {@link createOutboundGuard}. */
export interface OutboundGuardOptions {
  /**
   * Hosts reachable even on non-public addresses: `host` (any port) or `host:port`, IPv6 in brackets
   * (`[::1]:8080`). Names compare case-insensitively. @default []
   */
  allowedHosts?: readonly string[]
  /** The setting that lists allowed hosts, named in refusals (`WEBHOOK_ALLOWED_HOSTS`). @default 'the allowlist' */
  allowlistName?: string
  /** The DNS lookup (tests resolve made-up names). @default node:dns lookup */
  lookup?: typeof dnsLookup
}

/**
 * Why an outbound request was refused: its target is (or resolves to) a non-public address and is not allowlisted.
 * @example if (error instanceof OutboundRefusedError) console.log(error.message)
 */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError'
  /** Node-style code, also set on the socket error that carries it. */
  readonly code = 'ERR_OUTBOUND_REFUSED'
}

/** SSRF rules for outbound requests: what a URL may reach, checked before sending and again at connect time. */
export interface OutboundGuard {
  /** Whether the URL's host (or host:port) is allowlisted. */
  isAllowed(url: URL): boolean
  /**
   * The cheap check before accepting a URL: why it is refused (a literal non-public IP or a `localhost` name that is
   * not allowlisted), or `undefined`. Names are resolved only at connect time, by {@link lookup}.
   */
  check(url: URL): string | undefined
  /**
   * A `lookup` for `http.request`/`net.connect` to `url`'s host: it resolves the name and fails with an
   * {@link OutboundRefusedError} when any address is non-public, so the checked address is the one connected to
   * (no DNS rebinding between check and connect). Allowlisted hosts resolve unchecked.
   */
  lookupFor(url: URL): LookupFunction
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' }

/** A URL's host name, lower-case, without IPv6 brackets or the root's trailing dot (`localhost.` is `localhost`). */
const bareHost = (url: URL): string => {
  const host = url.hostname.toLowerCase().replace(/\.$/, '')
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/**
 * Builds the SSRF guard of outbound requests (webhook deliveries, fetching image URLs): only public addresses are
 * reachable, unless the host is allowlisted.
 * @example
 * const guard = createOutboundGuard({ allowedHosts: ['hooks.internal:8080'], allowlistName: 'WEBHOOK_ALLOWED_HOSTS' })
 * guard.check(new URL('http://10.0.0.1/hook')) // '10.0.0.1 is a private address: …'
 */
export function createOutboundGuard(options: OutboundGuardOptions = {}): OutboundGuard {
  const allowed = new Set((options.allowedHosts ?? []).map((host) => host.trim().toLowerCase()).filter(Boolean))
  const allowlist = options.allowlistName ?? 'the allowlist'
  const resolve = options.lookup ?? dnsLookup
  const refusal = (host: string, address: string, kind: string): string =>
    `${address === host ? host : `${host} resolves to ${address}, which`} is a ${kind.replace('_', '-')} address: outbound requests reach only public addresses unless ${allowlist} lists the host`

  const isAllowed = (url: URL): boolean => {
    const host = url.hostname.toLowerCase().replace(/\.$/, '')
    return allowed.has(host) || allowed.has(`${host}:${url.port || DEFAULT_PORTS[url.protocol] || ''}`)
  }

  return {
    isAllowed,
    check(url) {
      if (isAllowed(url)) return undefined
      const host = bareHost(url)
      if (host === 'localhost' || host.endsWith('.localhost')) return refusal(host, host, 'loopback')
      if (isIP(host) === 0) return undefined
      const kind = classifyAddress(host)
      return kind === 'public' ? undefined : refusal(host, host, kind)
    },
    lookupFor(url) {
      const trusted = isAllowed(url)
      return ((hostname: string, lookupOptions: LookupOptions, callback: (...args: unknown[]) => void) => {
        resolve(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
          if (error) return callback(error)
          const refused = trusted
            ? undefined
            : addresses.find(({ address }) => classifyAddress(address) !== 'public')?.address
          if (refused !== undefined) {
            return callback(new OutboundRefusedError(refusal(hostname, refused, classifyAddress(refused))))
          }
          if (lookupOptions.all) return callback(null, addresses)
          const [first] = addresses
          if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }))
          callback(null, first.address, first.family)
        })
      }) as LookupFunction
    },
  }
}
