import { type ChildProcess, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireMoto } from '../../../test/prerequisites.js'
import {
  type AwsCredentials,
  createS3Store,
  InvalidImageKeyError,
  S3Error,
  sha256Hex,
  signRequest,
} from '../src/storage/index.js'
import { freePort } from './fixtures/free-port.js'

// AWS's worked examples ("Signature Calculations for the Authorization Header", Amazon S3 API reference).
const EXAMPLE: AwsCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
}
const EXAMPLE_DATE = new Date('2013-05-24T00:00:00Z')
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

describe('signRequest (SigV4)', () => {
  const sign = (method: string, url: string, headers: Record<string, string>, body?: string) =>
    signRequest({ method, url, headers, body, region: 'us-east-1', credentials: EXAMPLE, date: EXAMPLE_DATE })
      .authorization

  it('matches the GET Object example', () => {
    expect(sign('GET', 'https://examplebucket.s3.amazonaws.com/test.txt', { Range: 'bytes=0-9' })).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    )
  })

  it('matches the PUT Object example (escaped key, body hash, extra headers)', () => {
    const headers = { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' }
    expect(sign('PUT', 'https://examplebucket.s3.amazonaws.com/test$file.text', headers, 'Welcome to Amazon S3.')).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, ' +
        'Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    )
  })

  it('matches the GET Bucket example (sorted query string)', () => {
    expect(sign('GET', 'https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J', {})).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;x-amz-content-sha256;x-amz-date, ' +
        'Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    )
  })

  it('adds the date, payload hash and session token headers', () => {
    const headers = signRequest({
      method: 'GET',
      url: 'https://b.s3.amazonaws.com/k',
      region: 'eu-west-1',
      credentials: { ...EXAMPLE, sessionToken: 'token' },
      date: EXAMPLE_DATE,
    })
    expect(headers['x-amz-date']).toBe('20130524T000000Z')
    expect(headers['x-amz-content-sha256']).toBe(EMPTY)
    expect(headers['x-amz-security-token']).toBe('token')
    expect(headers.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,')
  })
})

// --- Against a real S3-compatible server: moto's, with signature checking switched on. ---

const python = process.env.PYTHON ?? 'python3'
let moto: ChildProcess | undefined
let endpoint = ''
let credentials: AwsCredentials = { accessKeyId: '', secretAccessKey: '' }
const BUCKET = 'genimage-test'

async function waitForMoto(): Promise<void> {
  let exited = false
  moto?.once('exit', () => {
    exited = true
  })
  for (let i = 0; i < 300 && !exited; i++) {
    try {
      await fetch(`${endpoint}/moto-api/`)
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  throw new Error(`moto_server did not start on ${endpoint}${exited ? ' (it exited)' : ''}`)
}

/** Calls IAM's query API on moto (auth still off), returning the response XML. */
async function iam(params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ ...params, Version: '2010-05-08' }).toString()
  const headers = signRequest({
    method: 'POST',
    url: `${endpoint}/`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    region: 'us-east-1',
    service: 'iam',
    credentials: { accessKeyId: 'AKIDBOOTSTRAP', secretAccessKey: 'bootstrap' },
  })
  const response = await fetch(`${endpoint}/`, { method: 'POST', headers, body })
  const text = await response.text()
  if (!response.ok) throw new Error(`IAM ${params.Action} failed: ${response.status} ${text}`)
  return text
}

async function signedFetch(method: string, url: string, creds: AwsCredentials, body?: string): Promise<Response> {
  const headers = signRequest({ method, url, body, region: 'us-east-1', credentials: creds })
  return fetch(url, { method, headers, body })
}

/** Starts moto, creates a user with an S3-only key and the bucket, then turns signature checking on. */
async function startMoto(): Promise<void> {
  requireMoto(python)
  const port = await freePort()
  endpoint = `http://127.0.0.1:${port}`
  moto = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
  await waitForMoto()

  // A user whose key may only use S3, then signature checking on for every later request.
  await iam({ Action: 'CreateUser', UserName: 'genimage' })
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
  })
  await iam({ Action: 'PutUserPolicy', UserName: 'genimage', PolicyName: 's3', PolicyDocument: policy })
  const keyXml = await iam({ Action: 'CreateAccessKey', UserName: 'genimage' })
  credentials = {
    accessKeyId: /<AccessKeyId>([^<]+)</.exec(keyXml)![1]!,
    secretAccessKey: /<SecretAccessKey>([^<]+)</.exec(keyXml)![1]!,
  }
  const auth = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' })
  if (!auth.ok) throw new Error(`moto refused to turn on auth: ${auth.status}`)

  const bucket = await signedFetch('PUT', `${endpoint}/${BUCKET}`, credentials)
  if (bucket.status !== 200) throw new Error(`PUT Bucket failed: ${bucket.status} ${await bucket.text()}`)
}

describe('createS3Store against moto_server', () => {
  // Every test awaits the setup, so a missing moto fails each of them (never a silent skip).
  let setup: Promise<void>
  beforeAll(() => {
    setup = startMoto()
    setup.catch(() => {})
  })
  afterAll(() => {
    moto?.kill()
  })

  const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9, 8, 7])
  const store = () =>
    createS3Store({ endpoint, region: 'us-east-1', bucket: BUCKET, ...credentials, prefix: 'images/', attempts: 1 })

  it('puts and gets an object with its content type', async () => {
    await setup
    await store().put('abc.png', { bytes, contentType: 'image/png' })
    const image = await store().get('abc.png')
    expect(image?.contentType).toBe('image/png')
    expect([...(image?.bytes ?? [])]).toEqual([...bytes])
  })

  it('stores under the prefix, with immutable caching', async () => {
    await setup
    await store().put('cached.webp', { bytes, contentType: 'image/webp' })
    const response = await signedFetch('GET', `${endpoint}/${BUCKET}/images/cached.webp`, credentials)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/webp')
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(sha256Hex(new Uint8Array(await response.arrayBuffer()))).toBe(sha256Hex(bytes))
  })

  it('answers undefined for a missing key', async () => {
    await setup
    expect(await store().get('missing.jpeg')).toBeUndefined()
  })

  it('is rejected by the server when the secret is wrong (signatures are checked)', async () => {
    await setup
    const wrong = createS3Store({
      endpoint,
      region: 'us-east-1',
      bucket: BUCKET,
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: 'not-the-secret',
      attempts: 1,
    })
    const error = await wrong.put('x.png', { bytes, contentType: 'image/png' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(S3Error)
    expect(error).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' })
  })
})

describe('createS3Store without a server', () => {
  const bytes = new Uint8Array([1, 2, 3])
  const options = { region: 'eu-west-1', bucket: 'b', accessKeyId: 'AKID', secretAccessKey: 'secret' }

  it('validates keys before any request', async () => {
    const calls: string[] = []
    const recording: typeof fetch = async (input) => {
      calls.push(String(input))
      return new Response(null, { status: 500 })
    }
    const store = createS3Store({ ...options, fetch: recording })
    await expect(store.put('../x.png', { bytes, contentType: 'image/png' })).rejects.toBeInstanceOf(
      InvalidImageKeyError,
    )
    expect(await store.get('../abc.png')).toBeUndefined()
    expect(calls).toEqual([])
  })

  it('addresses AWS virtual-hosted style by default and custom endpoints path style', async () => {
    const calls: string[] = []
    const recording: typeof fetch = async (input) => {
      calls.push(String(input))
      return new Response(null, { status: 404 })
    }
    await createS3Store({ ...options, prefix: 'p/', fetch: recording }).get('a.png')
    await createS3Store({ ...options, endpoint: 'http://minio:9000', fetch: recording }).get('a.png')
    expect(calls).toEqual(['https://b.s3.eu-west-1.amazonaws.com/p/a.png', 'http://minio:9000/b/a.png'])
  })

  it('retries 5xx answers and signs each attempt afresh', async () => {
    const seen: Array<string | null> = []
    const flaky: typeof fetch = async (_input, init) => {
      seen.push(new Headers(init?.headers).get('authorization'))
      return new Response(seen.length === 1 ? '<Error><Code>SlowDown</Code></Error>' : null, {
        status: seen.length === 1 ? 503 : 200,
      })
    }
    await createS3Store({ ...options, fetch: flaky }).put('a.png', { bytes, contentType: 'image/png' })
    expect(seen).toHaveLength(2)
    expect(seen[1]).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/s3\/aws4_request, /)
  })

  it('reports S3 error codes without retrying client errors', async () => {
    let calls = 0
    const denied: typeof fetch = async () => {
      calls += 1
      return new Response('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', { status: 403 })
    }
    const error = await createS3Store({ ...options, fetch: denied })
      .put('a.png', { bytes, contentType: 'image/png' })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'S3Error', status: 403, code: 'AccessDenied' })
    expect((error as Error).message).toBe('S3 PUT /a.png answered 403 AccessDenied: Access Denied')
    expect(calls).toBe(1)
  })

  it('links to the public base URL when one is configured', () => {
    const cdn = createS3Store({ ...options, prefix: 'images/', publicBaseUrl: 'https://cdn.example.com/' })
    expect(cdn.publicUrl?.('abc.png')).toBe('https://cdn.example.com/images/abc.png')
    expect(createS3Store(options).publicUrl?.('abc.png')).toBeUndefined()
  })
})
