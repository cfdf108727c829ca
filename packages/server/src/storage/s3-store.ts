import { setTimeout as sleep } from 'node:timers/promises'
import type { ImageContentType, ImageStore, StoredImage } from '@genimage/core'
import { assertKeyMatches, contentTypeOfKey, isImageKey } from './keys.js'
import { type AwsCredentials, EMPTY_SHA256, sha256Hex, signRequest } from './sigv4.js'

/** Options of {@link createS3Store}. */
export interface S3StoreOptions {
  /** Endpoint of an S3-compatible service (MinIO, R2, moto, …). @default `https://s3.<region>.amazonaws.com` */
  endpoint?: string
  /** Signing region (`auto` for R2). */
  region: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  /** For temporary credentials. */
  sessionToken?: string
  /** Prepended to every key, e.g. `images/`. @default '' */
  prefix?: string
  /** Public URL of the bucket (CDN); when set, responses link there instead of `/files/{key}`. */
  publicBaseUrl?: string
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`. @default true when `endpoint` is set */
  forcePathStyle?: boolean
  /** `Cache-Control` stored with each object; keys are content hashes, so objects never change. */
  cacheControl?: string
  /** Timeout of one request. @default 30000 */
  timeoutMs?: number
  /** Attempts per request on network errors and 5xx. @default 3 */
  attempts?: number
  /** @default globalThis.fetch */
  fetch?: typeof fetch
}

/**
 * An S3 request that failed, with the HTTP status and S3's error code when there is one.
 * @example catch (error) { if (error instanceof S3Error && error.code === 'NoSuchBucket') … }
 */
export class S3Error extends Error {
  override readonly name = 'S3Error'
  /** HTTP status, 0 for network errors. */
  readonly status: number
  /** S3 error code (`AccessDenied`, `SignatureDoesNotMatch`, …). */
  readonly code: string | undefined

  constructor(message: string, status: number, code?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.status = status
    this.code = code
  }
}

/**
 * An {@link ImageStore} over the S3 REST API (PUT Object, GET Object), signed with SigV4; no AWS SDK.
 * Works with AWS S3 and S3-compatible services; keys are validated like every store's.
 * @example
 * const store = createS3Store({ endpoint: 'http://minio:9000', region: 'us-east-1', bucket: 'images',
 *   accessKeyId, secretAccessKey, publicBaseUrl: 'https://cdn.example.com' })
 */
export function createS3Store(options: S3StoreOptions): ImageStore {
  const endpoint = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`)
  const pathStyle = options.forcePathStyle ?? options.endpoint !== undefined
  const prefix = options.prefix ?? ''
  if (!/^([A-Za-z0-9_.-]+\/)*$/.test(prefix)) throw new TypeError(`invalid S3 prefix ${JSON.stringify(prefix)}`)
  const credentials: AwsCredentials = {
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    sessionToken: options.sessionToken,
  }
  const cacheControl = options.cacheControl ?? 'public, max-age=31536000, immutable'
  const client: S3Client = {
    region: options.region,
    credentials,
    fetch: options.fetch ?? fetch,
    timeoutMs: options.timeoutMs ?? 30_000,
    attempts: options.attempts ?? 3,
  }
  const publicBase = options.publicBaseUrl?.replace(/\/+$/, '')

  const objectUrl = (key: string): URL => {
    const base = new URL(endpoint)
    if (!pathStyle) base.hostname = `${options.bucket}.${base.hostname}`
    const basePath = base.pathname.replace(/\/+$/, '')
    base.pathname = pathStyle ? `${basePath}/${options.bucket}/${prefix}${key}` : `${basePath}/${prefix}${key}`
    return base
  }

  return {
    async put(key: string, image: StoredImage): Promise<void> {
      assertKeyMatches(key, image.contentType)
      const headers = { 'content-type': image.contentType, 'cache-control': cacheControl }
      const response = await s3Request(client, 'PUT', objectUrl(key), headers, image.bytes)
      await response.body?.cancel().catch(() => {})
    },

    async get(key: string): Promise<StoredImage | undefined> {
      if (!isImageKey(key)) return undefined
      const response = await s3Request(client, 'GET', objectUrl(key), {}, undefined, [404])
      if (response.status === 404) {
        await response.body?.cancel().catch(() => {})
        return undefined
      }
      const bytes = new Uint8Array(await response.arrayBuffer())
      const stored = response.headers.get('content-type')
      const contentType = stored === contentTypeOfKey(key) ? (stored as ImageContentType) : contentTypeOfKey(key)
      return { bytes, contentType }
    },

    publicUrl(key: string): string | undefined {
      return publicBase && isImageKey(key) ? `${publicBase}/${prefix}${key}` : undefined
    },
  }
}

/** What {@link s3Request} needs besides the request itself. */
export interface S3Client {
  region: string
  credentials: AwsCredentials
  fetch: typeof fetch
  timeoutMs: number
  attempts: number
}

/**
 * Sends one signed S3 request, retrying network errors and 5xx; throws {@link S3Error} for other non-2xx answers
 * unless their status is in `allow`.
 * @example await s3Request(client, 'PUT', new URL('http://127.0.0.1:9000/bucket'), {})
 */
export async function s3Request(
  client: S3Client,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body?: Uint8Array,
  allow: readonly number[] = [],
): Promise<Response> {
  const payloadHash = body ? sha256Hex(body) : EMPTY_SHA256
  let lastError: unknown
  for (let attempt = 1; attempt <= client.attempts; attempt++) {
    if (attempt > 1) await sleep(100 * 2 ** (attempt - 2))
    const signed = signRequest({
      method,
      url,
      headers,
      payloadHash,
      region: client.region,
      credentials: client.credentials,
    })
    let response: Response
    try {
      response = await client.fetch(url, {
        method,
        headers: signed,
        body: body as Uint8Array<ArrayBuffer> | undefined,
        signal: AbortSignal.timeout(client.timeoutMs),
      })
    } catch (error) {
      lastError = new S3Error(`S3 ${method} ${url.pathname} failed: ${(error as Error).message}`, 0, undefined, {
        cause: error,
      })
      continue
    }
    if (response.ok || allow.includes(response.status)) return response
    const text = await response.text().catch(() => '')
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1]
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1]
    lastError = new S3Error(
      `S3 ${method} ${url.pathname} answered ${response.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
      response.status,
      code,
    )
    if (response.status < 500) break
  }
  throw lastError
}
