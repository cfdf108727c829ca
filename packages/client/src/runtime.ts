type Globals = Record<string, unknown> & {
  process?: { versions?: { node?: unknown } }
  navigator?: { userAgent?: unknown }
}

/**
 * Whether the code runs in a browser page or a web worker, where an API key is readable by anyone.
 * Node, Deno, Bun and edge runtimes (Vercel Edge, Cloudflare Workers) are servers, even when a test environment
 * (jsdom, happy-dom) adds `window` and `document`.
 */
export function isBrowser(globals: Globals = globalThis as unknown as Globals): boolean {
  const server =
    globals.Deno !== undefined ||
    globals.Bun !== undefined ||
    globals.EdgeRuntime !== undefined ||
    globals.navigator?.userAgent === 'Cloudflare-Workers' ||
    typeof globals.process?.versions?.node === 'string'
  if (server) return false
  const page = typeof globals.window === 'object' && typeof globals.document === 'object'
  return page || typeof globals.importScripts === 'function' || typeof globals.WorkerGlobalScope === 'function'
}

/**
 * A random UUID v4. `crypto.randomUUID` only exists in secure contexts (https, localhost), so plain-http pages and
 * older runtimes get one built from `crypto.getRandomValues` (or `Math.random` where there is no `crypto`).
 */
export function randomId(): string {
  const crypto = globalThis.crypto
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID()
  const bytes = new Uint8Array(16)
  if (typeof crypto?.getRandomValues === 'function') crypto.getRandomValues(bytes)
  else for (let index = 0; index < 16; index++) bytes[index] = Math.random() * 256
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
