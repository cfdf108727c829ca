import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect } from 'vitest'
import { requireMoto } from '../prerequisites.js'
import { freePort, groupSettings, startServer } from './server-target.js'
import { defineContractSuite } from './suite.js'
import type { ContractTarget, TargetOptions } from './target.js'

/** What a contract group asks of the server, as an operator's environment settings. */
const groupEnv = (options: TargetOptions): Record<string, string> => {
  return { SYNTHETIC_STEP_MS: options.slow ? '150' : '0', ...groupSettings(options) }
}

/**
 * The server with the synthetic backend, its `storage` settings from `storageEnv` and `PUBLIC_BASE_URL` set to the
 * URL it listens on (a port picked first), as an operator behind a fixed name would run it.
 */
const storageTarget = (name: string, storageEnv: () => Promise<Record<string, string>>): ContractTarget => ({
  name,
  async start(options) {
    const port = await freePort()
    const env = {
      ...groupEnv(options),
      ...(await storageEnv()),
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    }
    const override = options.jobTimeoutMs !== undefined ? { jobTimeoutMs: options.jobTimeoutMs } : undefined
    const started = await startServer({ backend: 'synthetic', env, ...(override ? { override } : {}) })
    expect(started.url).toBe(env.PUBLIC_BASE_URL)
    return { baseUrl: started.url, fetch: globalThis.fetch, close: () => started.close() }
  },
})

// --- STORAGE=local with FILES_DIR: every group gets a fresh directory; the suite's images must land there. ---

const filesDirs: string[] = []
afterAll(async () => {
  let images = 0
  for (const dir of filesDirs) {
    images += (await readdir(dir)).filter((name) => /\.(png|jpeg|webp)$/.test(name)).length
    await rm(dir, { recursive: true, force: true })
  }
  // The suite's images really went to disk.
  expect(images).toBeGreaterThan(0)
})

defineContractSuite(
  storageTarget('genimage server storing images in FILES_DIR, with PUBLIC_BASE_URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'genimage-contract-files-'))
    filesDirs.push(dir)
    return { STORAGE: 'local', FILES_DIR: dir }
  }),
)

// --- STORAGE=s3 on moto's S3 server (`python3 -m moto.server`), one bucket per group. ---

let moto: { process: ChildProcess; endpoint: string } | undefined
let buckets = 0

/** Starts moto once (resolving when it says it is running) and creates a fresh bucket. */
const s3Bucket = async (): Promise<Record<string, string>> => {
  if (!moto) {
    requireMoto()
    const port = await freePort()
    const child = spawn(process.env.PYTHON ?? 'python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    moto = { process: child, endpoint: `http://127.0.0.1:${port}` }
    await new Promise<void>((resolve, reject) => {
      let said = ''
      child.stderr!.on('data', (chunk: Buffer) => {
        said += chunk.toString()
        if (said.includes('Running on')) resolve()
      })
      child.once('exit', (code) =>
        reject(new Error(`moto_server exited (${code}): ${said} (pip install 'moto[server]')`)),
      )
    })
  }
  const bucket = `genimage-contract-${++buckets}`
  const created = await fetch(`${moto.endpoint}/${bucket}`, { method: 'PUT' })
  if (!created.ok) throw new Error(`moto did not create ${bucket}: ${created.status}`)
  return {
    STORAGE: 's3',
    S3_ENDPOINT: moto.endpoint,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: 'contract',
    S3_SECRET_ACCESS_KEY: 'contract-secret',
    S3_PREFIX: 'images/',
  }
}

afterAll(async () => {
  let objects = 0
  for (let bucket = 1; moto && bucket <= buckets; bucket++) {
    const listing = await (await fetch(`${moto.endpoint}/genimage-contract-${bucket}?list-type=2`)).text()
    objects += listing.match(/<Key>images\/[^<]+<\/Key>/g)?.length ?? 0
  }
  moto?.process.kill()
  // The suite's images really went to the bucket, under S3_PREFIX.
  expect(objects).toBeGreaterThan(0)
})

defineContractSuite(storageTarget('genimage server storing images in S3 (moto), with PUBLIC_BASE_URL', s3Bucket))
