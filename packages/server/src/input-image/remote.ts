import { createOutboundGuard, guardedRequest, type OutboundGuardOptions } from '../net/index.js'

/** Options of {@link createRemoteImageFetcher}. */
export interface RemoteImageFetcherOptions {
  /** The whole fetch (connect, send, answer) must end within this time. @default 10000 */
  timeoutMs?: number
  /** The DNS lookup (tests resolve made-up names). @default node:dns lookup */
  lookup?: OutboundGuardOptions['lookup']
}

/**
 * Fetches an allowlisted remote `image_url` (core's `fetchRemote`) through the SSRF guard of `net/`: public
 * addresses only, checked at connect time, redirects not followed, at most `maxBytes`; anything but a 200 fails.
 * The host allowlist (`IMAGE_URL_ALLOWED_HOSTS`) is checked by core before this is called.
 * @example createApp({ …, inputImages: { allowedHosts: ['cdn.example.com'], fetchRemote: createRemoteImageFetcher() } })
 */
export function createRemoteImageFetcher(
  options: RemoteImageFetcherOptions = {},
): (url: URL, limits: { maxBytes: number }) => Promise<Uint8Array> {
  const guard = createOutboundGuard({
    allowlistName: 'IMAGE_URL_ALLOWED_HOSTS',
    ...(options.lookup ? { lookup: options.lookup } : {}),
  })
  return async (url, { maxBytes }) => {
    const response = await guardedRequest(guard, url, {
      headers: { accept: 'image/png, image/jpeg, image/webp' },
      timeoutMs: options.timeoutMs ?? 10_000,
      maxResponseBytes: maxBytes,
    })
    if (response.status !== 200) throw new Error(`${url.host} answered HTTP ${response.status}`)
    return response.body
  }
}
