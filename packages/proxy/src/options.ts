/**
 * Options of {@link createProxyHandler}. The proxy is closed by default: it needs `authorize` (or an explicit
 * `allowUnauthenticated: true`), forwards only genimage's generate, queue and file routes, only to `targetUrl`.
 * @example
 * createProxyHandler({
 *   targetUrl: 'https://genimage.internal:8787',
 *   apiKey: process.env.GENIMAGE_API_KEY!,
 *   authorize: async (request) => (await getSession(request)) !== null,
 * })
 */
/** The server's default body limit on its generate routes: 64 KiB + ceil(4/3 × 4 MiB), room for a base64 image. */
const DEFAULT_MAX_BODY_BYTES = 65_536 + Math.ceil((4 / 3) * 4 * 1024 * 1024)

export interface ProxyOptions {
  /**
   * The genimage server (absolute http(s) URL, optionally with a path prefix such as `/v1`). Only URLs under it are
   * forwarded: same origin and same path prefix.
   * @example 'https://genimage.internal:8787'
   */
  targetUrl: string
  /** The API key, added upstream as `Authorization: Key <apiKey>`. It never reaches the browser. */
  apiKey: string
  /**
   * Decides whether a browser request may use the proxy (check your session cookie, CSRF token, rate limits…).
   * Required unless `allowUnauthenticated` is `true`; `false` answers 401.
   * @example (request) => request.headers.get('cookie')?.includes('session=') ?? false
   */
  authorize?: (request: Request) => boolean | Promise<boolean>
  /**
   * Let anyone on the internet spend your GPU time with your key. Only for local demos and internal networks.
   * @default false
   */
  allowUnauthenticated?: boolean
  /**
   * Request headers forwarded upstream (lower case); every other header is dropped. `authorization`, `cookie`,
   * `host` and `x-genimage-target-url` can never be listed.
   * @default ['content-type', 'accept', 'idempotency-key', 'x-request-id', 'last-event-id']
   */
  allowedHeaders?: readonly string[]
  /**
   * Largest request body forwarded, in bytes; bigger bodies get 413 without reaching the server. The default is what
   * the server's generate routes take with their defaults: 64 KiB plus a 4 MiB image as a base64 `data:` URI.
   * @default 5657942
   */
  maxBodyBytes?: number
  /**
   * Where the proxy is mounted, for requests that carry the genimage path in the URL (`/api/genimage/generate`)
   * instead of the `x-genimage-target-url` header. Adapters that know their mount point pass the path themselves.
   * @default '/api/genimage'
   */
  mountPath?: string
  /**
   * Origins (`https://app.example`) whose pages may call the proxy cross-origin, with their cookies. The proxy
   * answers their CORS preflight and adds CORS headers for them; the genimage server's own CORS headers never pass
   * through. Empty: same-origin pages only (no CORS headers at all). `*` is refused.
   * @default []
   */
  allowedOrigins?: readonly string[]
  /**
   * The `fetch` used to call the genimage server.
   * @default globalThis.fetch, read at each request
   */
  fetch?: typeof fetch
}

/**
 * The options once checked, with every default filled in.
 * @example resolveProxyOptions(options).allowedHeaders.has('content-type') // true
 */
export interface ResolvedProxyOptions {
  target: URL
  /** The target's path prefix without a trailing slash (`''` or `/v1`). */
  prefix: string
  authorization: string
  authorize: ((request: Request) => boolean | Promise<boolean>) | undefined
  allowedHeaders: ReadonlySet<string>
  maxBodyBytes: number
  mountPath: string
  allowedOrigins: ReadonlySet<string>
  fetch: typeof fetch | undefined
}

/**
 * The request headers forwarded when `allowedHeaders` is not given.
 * @default ['content-type', 'accept', 'idempotency-key', 'x-request-id', 'last-event-id']
 */
export const DEFAULT_ALLOWED_HEADERS: readonly string[] = [
  'content-type',
  'accept',
  'idempotency-key',
  'x-request-id',
  'last-event-id',
]

const NEVER_FORWARDED = new Set(['authorization', 'cookie', 'host', 'x-genimage-target-url', 'proxy-authorization'])

const fail = (message: string): never => {
  throw new TypeError(`@genimage/proxy: ${message}`)
}

/**
 * Checks the options of `createProxyHandler`, throwing a `TypeError` that says what to change.
 * @example const resolved = resolveProxyOptions({ targetUrl: 'http://localhost:8787', apiKey: 'k', authorize: () => true })
 */
export function resolveProxyOptions(options: ProxyOptions): ResolvedProxyOptions {
  if (typeof options !== 'object' || options === null) fail('pass an options object with targetUrl and apiKey')
  const { targetUrl, apiKey, authorize, allowUnauthenticated = false, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options
  let target: URL | undefined
  try {
    target = new URL(targetUrl)
  } catch {}
  if (!target || !/^https?:$/.test(target.protocol)) {
    fail(
      `targetUrl must be an absolute http(s) URL such as 'https://genimage.internal:8787' (got ${JSON.stringify(targetUrl)})`,
    )
  }
  const url = target as URL
  if (url.username || url.password || url.search || url.hash) {
    fail('targetUrl must not contain credentials, a query or a fragment: pass the key as apiKey')
  }
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    fail('apiKey must be a non-empty string, for example process.env.GENIMAGE_API_KEY')
  }
  if (authorize !== undefined && typeof authorize !== 'function')
    fail('authorize must be a function (request) => boolean')
  if (typeof allowUnauthenticated !== 'boolean') fail('allowUnauthenticated must be a boolean')
  if (!authorize && !allowUnauthenticated) {
    fail(
      'pass authorize: (request) => boolean to decide who may spend your key (check the session), or ' +
        'allowUnauthenticated: true to open the proxy to everyone (local demos only)',
    )
  }
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) fail('maxBodyBytes must be a positive whole number of bytes')
  const headers = (options.allowedHeaders ?? DEFAULT_ALLOWED_HEADERS).map((name) => String(name).toLowerCase())
  for (const name of headers) {
    if (NEVER_FORWARDED.has(name)) fail(`allowedHeaders must not include '${name}': the proxy sets it itself`)
  }
  const mountPath = (options.mountPath ?? '/api/genimage').replace(/\/+$/, '')
  if (options.mountPath !== undefined && !mountPath.startsWith('/'))
    fail("mountPath must be a path such as '/api/genimage'")
  if (options.fetch !== undefined && typeof options.fetch !== 'function') fail('fetch must be a function')
  const allowedOrigins = [...(options.allowedOrigins ?? [])]
  for (const origin of allowedOrigins) {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {}
    if (origin === '*' || !parsed || parsed.origin !== origin) {
      fail(`allowedOrigins must list origins such as 'https://app.example', one by one (got ${JSON.stringify(origin)})`)
    }
  }
  return {
    target: url,
    prefix: url.pathname.replace(/\/+$/, ''),
    authorization: `Key ${apiKey}`,
    authorize,
    allowedHeaders: new Set(headers),
    maxBodyBytes,
    mountPath,
    allowedOrigins: new Set(allowedOrigins),
    fetch: options.fetch,
  }
}
