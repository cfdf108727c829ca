import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AwsClient } from 'aws4fetch'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { requireMoto } from '../../../test/prerequisites.js'
import { type AwsCredentials, createS3Store, InvalidImageKeyError, S3Error } from '../src/storage/index.js'
import { freePort } from './fixtures/free-port.js'

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

// --- Against a real S3-compatible server: moto's, with signature checking switched on. ---

const python = process.env.PYTHON ?? 'python3'
let moto: ChildProcess | undefined
let endpoint = ''
let credentials: AwsCredentials = { accessKeyId: '', secretAccessKey: '' }
let temporary: AwsCredentials = { accessKeyId: '', secretAccessKey: '' }
const ROLE_ARN = 'arn:aws:iam::123456789012:role/genimage'
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
  const bootstrap = { accessKeyId: 'AKIDBOOTSTRAP', secretAccessKey: 'bootstrap', service: 'iam', retries: 0 }
  const response = await new AwsClient({ ...bootstrap, region: 'us-east-1' }).fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`IAM ${params.Action} failed: ${response.status} ${text}`)
  return text
}

async function signedFetch(method: string, url: string, creds: AwsCredentials): Promise<Response> {
  const client = new AwsClient({ ...creds, service: 's3', region: 'us-east-1', retries: 0 })
  return client.fetch(url, { method })
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
  // A role with the same rights, and temporary credentials of it from moto's STS: what the chain's STS and instance
  // metadata stubs hand out (moto accepts only session tokens it issued; with signature checking on, moto answers an
  // unsigned AssumeRoleWithWebIdentity, as the SDK sends it, with a 500, so the chain's STS call goes to the stub).
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Federated: 'oidc' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
  })
  await iam({ Action: 'CreateRole', RoleName: 'genimage', AssumeRolePolicyDocument: trust })
  await iam({ Action: 'PutRolePolicy', RoleName: 'genimage', PolicyName: 's3', PolicyDocument: policy })
  const sts = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: ROLE_ARN,
      RoleSessionName: 'setup',
      WebIdentityToken: 'token',
    }).toString(),
  })
  const stsXml = await sts.text()
  if (!sts.ok) throw new Error(`STS AssumeRoleWithWebIdentity failed: ${sts.status} ${stsXml}`)
  temporary = {
    accessKeyId: /<AccessKeyId>([^<]+)</.exec(stsXml)![1]!,
    secretAccessKey: /<SecretAccessKey>([^<]+)</.exec(stsXml)![1]!,
    sessionToken: /<SessionToken>([^<]+)</.exec(stsXml)![1]!,
  }
  const auth = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' })
  if (!auth.ok) throw new Error(`moto refused to turn on auth: ${auth.status}`)

  const bucket = await signedFetch('PUT', `${endpoint}/${BUCKET}`, credentials)
  if (bucket.status !== 200) throw new Error(`PUT Bucket failed: ${bucket.status} ${await bucket.text()}`)
}

let started: Promise<void> | undefined
/** Starts moto once for every suite of this file. */
function motoStarted(): Promise<void> {
  started ??= startMoto()
  return started
}
afterAll(() => {
  moto?.kill()
})

describe('createS3Store against moto_server', () => {
  // Every test awaits the setup, so a missing moto fails each of them (never a silent skip).
  let setup: Promise<void>
  beforeAll(() => {
    setup = motoStarted()
    setup.catch(() => {})
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

// --- The AWS credential chain (no static key): env, a profile, web identity, IMDSv2, each against moto. ---

/** Every variable the chain reads; each test starts with none of them but files that do not exist. */
const CHAIN_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_REGION',
  'AWS_ENDPOINT_URL_STS',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
]

/** What the stub of AWS's STS and EC2 instance metadata was asked. */
interface StubLog {
  sts: URLSearchParams[]
  imdsTokens: number
  imdsCredentials: number
}

/**
 * A stub of STS (`AssumeRoleWithWebIdentity`, answered in STS's XML) and of IMDSv2 (token, role name, role
 * credentials), both handing out `keys` with a session token and an expiry `expiresInS` from now.
 */
async function startStub(
  keys: () => AwsCredentials,
  expiresInS: () => number,
): Promise<{ url: string; server: Server; log: StubLog }> {
  const log: StubLog = { sts: [], imdsTokens: 0, imdsCredentials: 0 }
  const read = async (request: IncomingMessage) => {
    let text = ''
    for await (const chunk of request) text += chunk
    return text
  }
  const server = createServer(async (request, response) => {
    const expiration = new Date(Date.now() + expiresInS() * 1000).toISOString()
    const { accessKeyId, secretAccessKey, sessionToken } = keys()
    if (request.method === 'POST' && request.url === '/') {
      log.sts.push(new URLSearchParams(await read(request)))
      response.writeHead(200, { 'content-type': 'text/xml' })
      response.end(
        `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:genimage:server</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/genimage/test</Arn>
      <AssumedRoleId>AROAEXAMPLE:test</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>${sessionToken}</SessionToken>
      <SecretAccessKey>${secretAccessKey}</SecretAccessKey>
      <Expiration>${expiration}</Expiration>
      <AccessKeyId>${accessKeyId}</AccessKeyId>
    </Credentials>
    <Provider>arn:aws:iam::123456789012:oidc-provider/oidc.eks.example</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`,
      )
      return
    }
    if (request.method === 'PUT' && request.url === '/latest/api/token') {
      log.imdsTokens += 1
      response.end('imds-token')
      return
    }
    if (request.headers['x-aws-ec2-metadata-token'] !== 'imds-token') {
      response.writeHead(401).end()
      return
    }
    if (request.url === '/latest/meta-data/iam/security-credentials/') {
      response.end('genimage-node')
      return
    }
    if (request.url === '/latest/meta-data/iam/security-credentials/genimage-node') {
      log.imdsCredentials += 1
      response.writeHead(200, { 'content-type': 'application/json' })
      const body = { Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey }
      response.end(JSON.stringify({ ...body, Token: sessionToken, Expiration: expiration }))
      return
    }
    response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, log }
}

describe('createS3Store with the AWS credential chain, against moto_server', () => {
  let setup: Promise<void>
  let dir = ''
  let expiresInS = 3600
  let stub: Awaited<ReturnType<typeof startStub>> | undefined
  const saved = new Map(CHAIN_ENV.map((name) => [name, process.env[name]]))
  beforeAll(async () => {
    setup = motoStarted()
    setup.catch(() => {})
    dir = await mkdtemp(join(tmpdir(), 'genimage-aws-chain-'))
    stub = await startStub(
      () => temporary,
      () => expiresInS,
    )
  })
  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    expiresInS = 3600
  })
  afterAll(async () => {
    stub?.server.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Clears the chain's variables, points its files at nothing, turns IMDS off, then sets `env`. */
  function chainEnv(env: Record<string, string>): void {
    for (const name of CHAIN_ENV) delete process.env[name]
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials')
    process.env.AWS_CONFIG_FILE = join(dir, 'no-config')
    process.env.AWS_EC2_METADATA_DISABLED = 'true'
    Object.assign(process.env, env)
  }

  const bytes = new Uint8Array([0x52, 0x49, 0x46, 0x46, 1, 2, 3])
  /** A store with no static key, so the chain provides one; it must be able to write and read back. */
  async function roundTrip(key: string): Promise<void> {
    const store = createS3Store({ endpoint, region: 'us-east-1', bucket: BUCKET, prefix: 'chain/', attempts: 1 })
    await store.put(key, { bytes, contentType: 'image/webp' })
    expect([...((await store.get(key))?.bytes ?? [])]).toEqual([...bytes])
  }

  it('takes AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment', async () => {
    await setup
    chainEnv({ AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey })
    await roundTrip('env.webp')
  })

  it('reads the profile AWS_PROFILE names from the shared credentials file', async () => {
    await setup
    const file = join(dir, 'credentials')
    await writeFile(
      file,
      `[default]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = wrong\n\n` +
        `[genimage]\naws_access_key_id = ${credentials.accessKeyId}\naws_secret_access_key = ${credentials.secretAccessKey}\n`,
    )
    chainEnv({ AWS_SHARED_CREDENTIALS_FILE: file, AWS_PROFILE: 'genimage' })
    await roundTrip('profile.webp')
    chainEnv({ AWS_SHARED_CREDENTIALS_FILE: file })
    const error = await createS3Store({ endpoint, region: 'us-east-1', bucket: BUCKET, attempts: 1 })
      .put('default.webp', { bytes, contentType: 'image/webp' })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'S3Error', status: 403 })
  })

  it('exchanges the web identity token (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) at STS, as on Kubernetes', async () => {
    await setup
    const token = join(dir, 'token')
    await writeFile(token, 'eyJhbGciOiJSUzI1NiJ9.service-account.signature')
    const roleArn = ROLE_ARN
    chainEnv({
      AWS_WEB_IDENTITY_TOKEN_FILE: token,
      AWS_ROLE_ARN: roleArn,
      AWS_ROLE_SESSION_NAME: 'genimage-test',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_STS: stub!.url,
    })
    const before = stub!.log.sts.length
    await roundTrip('web-identity.webp')
    const calls = stub!.log.sts.slice(before)
    expect(calls).toHaveLength(1)
    expect(Object.fromEntries(calls[0]!)).toMatchObject({
      Action: 'AssumeRoleWithWebIdentity',
      RoleArn: roleArn,
      RoleSessionName: 'genimage-test',
      WebIdentityToken: 'eyJhbGciOiJSUzI1NiJ9.service-account.signature',
    })
  })

  it('asks the instance metadata service with an IMDSv2 token, and refreshes credentials before they expire', async () => {
    await setup
    chainEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: stub!.url })
    delete process.env.AWS_EC2_METADATA_DISABLED
    const { log } = stub!
    const store = createS3Store({ endpoint, region: 'us-east-1', bucket: BUCKET, prefix: 'imds/', attempts: 1 })

    // An hour left: fetched once, then reused.
    const before = log.imdsCredentials
    await store.put('a.webp', { bytes, contentType: 'image/webp' })
    await store.put('b.webp', { bytes, contentType: 'image/webp' })
    expect(log.imdsCredentials - before).toBe(1)
    expect(log.imdsTokens).toBeGreaterThan(0)

    // Four minutes left (under the SDK's five-minute margin): fetched again before each use.
    expiresInS = 240
    const fresh = createS3Store({ endpoint, region: 'us-east-1', bucket: BUCKET, prefix: 'imds/', attempts: 1 })
    const middle = log.imdsCredentials
    await fresh.put('c.webp', { bytes, contentType: 'image/webp' })
    await fresh.put('d.webp', { bytes, contentType: 'image/webp' })
    await fresh.put('e.webp', { bytes, contentType: 'image/webp' })
    expect(log.imdsCredentials - middle).toBe(3)
  })

  it('fails with an S3Error naming the missing credentials when no source has any', async () => {
    chainEnv({})
    const error = await createS3Store({
      region: 'us-east-1',
      bucket: BUCKET,
      attempts: 1,
      fetch: async () => new Response(),
    })
      .put('none.webp', { bytes, contentType: 'image/webp' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(S3Error)
    expect((error as Error).message).toMatch(/^S3 PUT \/none\.webp: no credentials: /)
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
