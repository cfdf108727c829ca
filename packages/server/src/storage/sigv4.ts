import { createHash, createHmac } from 'node:crypto'

/** AWS credentials for signing. */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  /** Temporary credentials (STS, IAM roles) also carry a session token. */
  sessionToken?: string
}

/** One request to sign. */
export interface SignRequestInput {
  method: string
  url: string | URL
  /** Headers to send and sign (names in any case). `host` is taken from the URL. */
  headers?: Record<string, string>
  /** The body, hashed into `x-amz-content-sha256`; ignored when `payloadHash` is given. */
  body?: Uint8Array | string
  /** Precomputed payload hash, or `UNSIGNED-PAYLOAD`. */
  payloadHash?: string
  region: string
  /** @default 's3' */
  service?: string
  credentials: AwsCredentials
  /** Signing time. @default new Date() */
  date?: Date
}

/** SHA-256 of the empty payload. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

/**
 * Signs a request with AWS Signature Version 4 (header-based) and returns the headers to send: the given ones plus
 * `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a session token) and `authorization`.
 * Paths are encoded once, as S3 expects.
 * @example
 * const headers = signRequest({ method: 'GET', url, region: 'us-east-1', credentials })
 * await fetch(url, { headers })
 */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const url = new URL(input.url)
  const service = input.service ?? 's3'
  const amzDate = (input.date ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  const day = amzDate.slice(0, 8)
  const payloadHash = input.payloadHash ?? sha256Hex(input.body ?? '')

  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value
  headers['x-amz-date'] = amzDate
  headers['x-amz-content-sha256'] = payloadHash
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken

  const signed: Record<string, string> = { ...headers, host: url.host }
  delete signed['content-length']
  const names = Object.keys(signed).sort()
  const canonicalHeaders = names.map((name) => `${name}:${signed[name]!.trim().replace(/\s+/g, ' ')}\n`).join('')
  const signedHeaders = names.join(';')
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalPath(url.pathname),
    canonicalQuery(url.searchParams),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n')

  const scope = `${day}/${input.region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
  let key: Buffer = hmac(`AWS4${input.credentials.secretAccessKey}`, day)
  for (const part of [input.region, service, 'aws4_request']) key = hmac(key, part)
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex')

  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`
  return headers
}

/** Hex SHA-256 of a string or bytes. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * RFC 3986 encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - _ . ~` is percent-encoded (`/` kept when asked).
 * @example uriEncode('a b/c', false) // 'a%20b/c'
 */
export function uriEncode(value: string, encodeSlash = true): string {
  const encoded = encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return encodeSlash ? encoded : encoded.replace(/%2F/g, '/')
}

function canonicalPath(pathname: string): string {
  // URL already percent-encodes; decode and re-encode so both `$` and `%24` sign the same.
  return uriEncode(decodeURIComponent(pathname || '/'), false)
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? compare(av, bv) : compare(a, b)))
    .map(([name, value]) => `${name}=${value}`)
    .join('&')
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}
