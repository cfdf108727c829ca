import { isIP } from 'node:net'

/**
 * Whether `HOST` binds only this machine's loopback interface (`localhost`, 127.0.0.0/8, `::1`).
 * @example isLoopback('127.0.0.1') // true; isLoopback('0.0.0.0') // false
 */
export function isLoopback(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (address === 'localhost') return true
  if (isIP(address) === 4) return address.startsWith('127.')
  return address === '::1' || /^(::ffff:)127\./.test(address)
}
