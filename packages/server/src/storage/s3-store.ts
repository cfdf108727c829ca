import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { defaultProvider } from '@aws-sdk/credential-provider-node'
import type { ImageContentType, ImageStore, StoredImage } from '@genimage/core'
import { AwsV4Signer } from 'aws4fetch'
import { assertKeyMatches, contentTypeOfKey, isImageKey } from './keys.js'

/** AWS credentials for signing. */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  /** Temporary credentials (STS, IAM roles) also carry a session token. */
  sessionToken?: string
  /** When temporary credentials expire. */
  expiration?: Date
}

/**
 * Where signing credentials come from, asked before every request: it must cache them and refresh them before they
 * expire, as the AWS SDK's providers do.
 */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>

/** Options of {@link createS3Store}. */
export interface S3StoreOptions {
  /** Endpoint of an S3-compatible service (MinIO, R2, moto, …). @default `https://s3.<region>.amazonaws.com` */
  endpoint?: string
  /** Signing region (`auto` for R2). */
  region: string
  bucket: string
  /** Static access key id, together with `secretAccessKey`; unset: `credentials`. */
  accessKeyId?: string
  /** Static secret access key, together with `accessKeyId`. */
  secretAccessKey?: string
  /** Session token of static temporary credentials. */
  sessionToken?: string
  /**
   * Credentials when no static key is given.
   * @default the AWS SDK's default chain (`defaultProvider` of `@aws-sdk/credential-provider-node`): `AWS_ACCESS_KEY_ID`
   * / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, then SSO, the shared config and credentials files (`AWS_PROFILE`),
   * `credential_process`, web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`), then the ECS container or EC2
   * instance metadata (IMDSv2); temporary credentials are fetched again when less than 5 minutes remain.
   * @see docs/deploy.md, "S3 credentials"
   */
  credentials?: AwsCredentialsProvider
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
 * An {@link ImageStore} over the S3 REST API (PUT Object, GET Object), signed with SigV4 by `aws4fetch`, with a
 * static key or the AWS credential chain. Works with AWS S3 and S3-compatible services; keys are validated like every
 * store's.
 * @example
 * const store = createS3Store({ endpoint: 'http://minio:9000', region: 'us-east-1', bucket: 'images',
 *   accessKeyId, secretAccessKey, publicBaseUrl: 'https://cdn.example.com' })
 * const onAws = createS3Store({ region: 'eu-west-1', bucket: 'images' }) // env, profile, web identity or IMDS
 */
export function createS3Store(options: S3StoreOptions): ImageStore {
  const endpoint = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`)
  const pathStyle = options.forcePathStyle ?? options.endpoint !== undefined
  const prefix = options.prefix ?? ''
  if (!/^([A-Za-z0-9_.-]+\/)*$/.test(prefix)) throw new TypeError(`invalid S3 prefix ${JSON.stringify(prefix)}`)
  const credentials = credentialsOf(options)
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
  credentials: AwsCredentialsProvider
  fetch: typeof fetch
  timeoutMs: number
  attempts: number
}

/** The static key of `options` when it has one, else its provider, else the AWS SDK's default chain. */
function credentialsOf(options: S3StoreOptions): AwsCredentialsProvider {
  const { accessKeyId, secretAccessKey, sessionToken } = options
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new TypeError('S3 accessKeyId and secretAccessKey go together: give both, or neither for the AWS chain')
  }
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const fixed: AwsCredentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
    return async () => fixed
  }
  return options.credentials ?? defaultProvider()
}

/**
 * Sends one signed S3 request, retrying network errors and 5xx; throws {@link S3Error} for other non-2xx answers
 * unless their status is in `allow`, and for credentials the provider cannot find.
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
  // The payload's hash is signed (not UNSIGNED-PAYLOAD), so S3 rejects a body altered on the way.
  const payloadHash = createHash('sha256')
    .update(body ?? new Uint8Array())
    .digest('hex')
  let lastError: unknown
  for (let attempt = 1; attempt <= client.attempts; attempt++) {
    if (attempt > 1) await sleep(100 * 2 ** (attempt - 2))
    let credentials: AwsCredentials
    try {
      credentials = await client.credentials()
    } catch (error) {
      throw new S3Error(`S3 ${method} ${url.pathname}: no credentials: ${(error as Error).message}`, 0, undefined, {
        cause: error,
      })
    }
    const signed = await new AwsV4Signer({
      method,
      url: url.toString(),
      headers: { ...headers, 'x-amz-content-sha256': payloadHash },
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      service: 's3',
      region: client.region,
    }).sign()
    let response: Response
    try {
      response = await client.fetch(signed.url, {
        method,
        headers: signed.headers,
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
