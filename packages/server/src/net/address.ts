import { isIP } from 'node:net'

/** What kind of address an IP is; only `public` is reachable by outbound requests without an allowlist entry. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'multicast'
  | 'unique_local'
  | 'documentation'
  | 'reserved'

type Range = readonly [base: bigint, prefix: number, kind: AddressClass]

const IPV4_RANGES: readonly (readonly [string, number, AddressClass])[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
]

const IPV6_RANGES: readonly (readonly [string, number, AddressClass])[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved'], // IPv4-compatible (deprecated)
  ['64:ff9b:1::', 48, 'private'], // local-use NAT64
  ['100::', 64, 'reserved'], // discard
  ['2001:db8::', 32, 'documentation'],
  ['2001::', 23, 'reserved'], // IETF protocol assignments, Teredo included
  ['fc00::', 7, 'unique_local'],
  ['fe80::', 10, 'link_local'],
  ['fec0::', 10, 'private'], // site-local (deprecated)
  ['ff00::', 8, 'multicast'],
]

const ipv4Value = (address: string): bigint =>
  address.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n)

/** The 128-bit value of an IPv6 address (`::`, a zone id and a trailing dotted quad allowed). */
const ipv6Value = (address: string): bigint => {
  let text = address.split('%')[0]!
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (quad) {
    const v4 = ipv4Value(quad[1]!)
    text = `${text.slice(0, -quad[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const headGroups = head ? head.split(':') : []
  const tailGroups = tail ? tail.split(':') : []
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n)
}

const table = (
  ranges: readonly (readonly [string, number, AddressClass])[],
  bits: number,
  value: (text: string) => bigint,
): Range[] => ranges.map(([base, prefix, kind]) => [value(base) >> BigInt(bits - prefix), prefix, kind] as const)

const V4 = table(IPV4_RANGES, 32, ipv4Value)
const V6 = table(IPV6_RANGES, 128, ipv6Value)

const lookupIn = (ranges: Range[], bits: number, value: bigint): AddressClass | undefined =>
  ranges.find(([base, prefix]) => value >> BigInt(bits - prefix) === base)?.[2]

const classifyV4 = (value: bigint): AddressClass => lookupIn(V4, 32, value) ?? 'public'

/**
 * The class of an IP address. IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`,
 * 6to4 `2002::/16`) are classed by that IPv4 address; IPv6 outside global unicast (`2000::/3`) is `reserved`.
 * Throws on a string that is not an IP address.
 * @example classifyAddress('::ffff:10.0.0.1') // 'private'
 */
export function classifyAddress(address: string): AddressClass {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  const family = isIP(bare.split('%')[0]!)
  if (family === 4) return classifyV4(ipv4Value(bare))
  if (family !== 6) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`)
  const value = ipv6Value(bare)
  const low32 = value & 0xffffffffn
  if (value >> 32n === 0xffffn) return classifyV4(low32) // ::ffff:0:0/96, IPv4-mapped
  if (value >> 32n === 0x64ff9b0000000000000000n) return classifyV4(low32) // 64:ff9b::/96, NAT64
  if (value >> 112n === 0x2002n) return classifyV4((value >> 80n) & 0xffffffffn) // 2002::/16, 6to4
  const listed = lookupIn(V6, 128, value)
  if (listed) return listed
  return value >> 125n === 1n ? 'public' : 'reserved'
}

/**
 * Whether outbound requests may reach this address without an allowlist entry: only public unicast addresses.
 * @example isPublicAddress('8.8.8.8') // true
 */
export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === 'public'
}
