import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type DownloadProgress,
  ensureWeights,
  formatProgress,
  renderExtraModelPaths,
  WeightsError,
  type WeightsModel,
} from '../src/weights/index.js'

const BODY = randomBytes(3 * 1024 * 1024 + 123)
const SHA = createHash('sha256').update(BODY).digest('hex')
const PATH = 'checkpoints/tiny.safetensors'

interface FileServer {
  url: string
  /** The Range header of each GET, `undefined` when absent. */
  ranges: Array<string | undefined>
  close(): Promise<void>
}

/** Serves BODY with Range support; the first `dropFirst` responses are cut after `dropAfter` bytes. */
async function startFileServer(
  options: { dropAfter?: number; dropFirst?: number; status?: number } = {},
): Promise<FileServer> {
  const ranges: Array<string | undefined> = []
  let drops = options.dropFirst ?? 0
  const server: Server = createServer((request, response) => {
    ranges.push(request.headers.range)
    if (options.status) {
      response.writeHead(options.status).end('nope')
      return
    }
    const match = /^bytes=(\d+)-$/.exec(request.headers.range ?? '')
    const start = match ? Number(match[1]) : 0
    if (start >= BODY.length) {
      response.writeHead(416, { 'content-range': `bytes */${BODY.length}` }).end()
      return
    }
    const slice = BODY.subarray(start)
    const headers: Record<string, string | number> = { 'content-length': slice.length, 'accept-ranges': 'bytes' }
    if (match) headers['content-range'] = `bytes ${start}-${BODY.length - 1}/${BODY.length}`
    response.writeHead(match ? 206 : 200, headers)
    if (drops > 0 && options.dropAfter !== undefined) {
      drops -= 1
      response.write(slice.subarray(0, options.dropAfter), () => setTimeout(() => response.socket?.destroy(), 50))
      return
    }
    response.end(slice)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/tiny.safetensors`,
    ranges,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

let dir: string
let servers: FileServer[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genimage-weights-'))
})

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
  await rm(dir, { recursive: true, force: true })
})

async function serve(options?: Parameters<typeof startFileServer>[0]): Promise<FileServer> {
  const server = await startFileServer(options)
  servers.push(server)
  return server
}

function model(url: string, overrides: Partial<WeightsModel> = {}): WeightsModel {
  return { path: PATH, url, sha256: SHA, size: BODY.length, ...overrides }
}

function captureLogger() {
  const records: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) })
  return { logger, records }
}

const quiet = { onProgress: () => {}, retryDelayMs: 1, lockPollMs: 20 }

describe('ensureWeights', () => {
  it('downloads, verifies, renames into place and writes extra_model_paths.yaml', async () => {
    const server = await serve()
    const progress: DownloadProgress[] = []
    const result = await ensureWeights({ dir, models: [model(server.url)], onProgress: (p) => progress.push(p) })

    const file = join(dir, PATH)
    expect(result.models).toEqual([{ path: PATH, file, sha256: SHA, size: BODY.length, status: 'downloaded' }])
    expect(Buffer.compare(await readFile(file), BODY)).toBe(0)
    expect((await readdir(join(dir, 'checkpoints'))).sort()).toEqual([
      'tiny.safetensors',
      'tiny.safetensors.sha256.json',
    ])
    expect(progress.at(-1)).toMatchObject({
      path: PATH,
      receivedBytes: BODY.length,
      totalBytes: BODY.length,
      done: true,
    })
    expect(progress.filter((p) => !p.done).length).toBeGreaterThan(1)

    expect(result.extraModelPathsFile).toBe(join(dir, 'extra_model_paths.yaml'))
    const yaml = await readFile(result.extraModelPathsFile!, 'utf8')
    expect(yaml).toContain(`base_path: ${JSON.stringify(dir)}`)
    expect(yaml).toContain('  checkpoints: "checkpoints/"')
  })

  it('resumes an interrupted download from the .part file with a Range request', async () => {
    const cut = 1024 * 1024
    const server = await serve({ dropAfter: cut, dropFirst: 1 })
    const first = ensureWeights({ dir, models: [model(server.url)], ...quiet, retries: 0 })
    await expect(first).rejects.toMatchObject({ name: 'WeightsError', code: 'download', path: PATH })
    const partSize = (await stat(join(dir, `${PATH}.part`))).size
    expect(partSize).toBe(cut)

    const second = await ensureWeights({ dir, models: [model(server.url)], ...quiet, retries: 0 })
    expect(server.ranges).toEqual([undefined, `bytes=${cut}-`])
    expect(second.models[0]).toMatchObject({ sha256: SHA, status: 'downloaded' })
    expect(Buffer.compare(await readFile(join(dir, PATH)), BODY)).toBe(0)
  })

  it('retries within one call and resumes where the connection dropped', async () => {
    const server = await serve({ dropAfter: 512 * 1024, dropFirst: 2 })
    const result = await ensureWeights({ dir, models: [model(server.url)], ...quiet, retries: 3 })
    expect(server.ranges).toEqual([undefined, 'bytes=524288-', 'bytes=1048576-'])
    expect(result.models[0]?.sha256).toBe(SHA)
  })

  it('rejects a bad checksum naming the file and both hashes, and leaves no file behind', async () => {
    const server = await serve()
    const wrong = 'ab'.repeat(32)
    const attempt = ensureWeights({ dir, models: [model(server.url, { sha256: wrong })], ...quiet })
    const error = await attempt.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WeightsError)
    expect((error as WeightsError).code).toBe('integrity')
    expect((error as Error).message).toContain(PATH)
    expect((error as Error).message).toContain(wrong)
    expect((error as Error).message).toContain(SHA)
    expect(await readdir(join(dir, 'checkpoints'))).toEqual([])
  })

  it('lets two concurrent calls share one download through the lock', async () => {
    const server = await serve()
    const [a, b] = await Promise.all([
      ensureWeights({ dir, models: [model(server.url)], ...quiet }),
      ensureWeights({ dir, models: [model(server.url)], ...quiet }),
    ])
    expect(server.ranges).toHaveLength(1)
    expect([a.models[0]?.status, b.models[0]?.status].sort()).toEqual(['downloaded', 'present'])
    expect(b.models[0]?.sha256).toBe(SHA)
    expect(await readdir(join(dir, 'checkpoints'))).not.toContain('tiny.safetensors.lock')
  })

  it('skips a file that is already present and verified', async () => {
    const server = await serve()
    await ensureWeights({ dir, models: [model(server.url)], ...quiet })
    const again = await ensureWeights({ dir, models: [model(server.url)], ...quiet })
    expect(server.ranges).toHaveLength(1)
    expect(again.models[0]).toMatchObject({ status: 'present', sha256: SHA })
  })

  it('hashes a file placed by hand once, then trusts its sidecar', async () => {
    const server = await serve()
    await mkdir(join(dir, 'checkpoints'))
    await writeFile(join(dir, PATH), BODY)
    const { logger, records } = captureLogger()
    const result = await ensureWeights({ dir, models: [model(server.url)], ...quiet, logger })
    expect(result.models[0]).toMatchObject({ status: 'present', sha256: SHA })
    expect(records.filter((r) => r.event === 'weights_verify')).toHaveLength(1)

    await ensureWeights({ dir, models: [model(server.url)], ...quiet, logger })
    expect(records.filter((r) => r.event === 'weights_verify')).toHaveLength(1)
    expect(server.ranges).toHaveLength(0)
  })

  it('replaces a present file whose content changed', async () => {
    const server = await serve()
    await ensureWeights({ dir, models: [model(server.url)], ...quiet })
    const corrupt = Buffer.from(BODY)
    corrupt[42] = (corrupt[42] ?? 0) ^ 0xff
    await writeFile(join(dir, PATH), corrupt)
    const result = await ensureWeights({ dir, models: [model(server.url)], ...quiet })
    expect(result.models[0]?.status).toBe('downloaded')
    expect(Buffer.compare(await readFile(join(dir, PATH)), BODY)).toBe(0)
  })

  it('takes over a lock left by a dead process', async () => {
    const server = await serve()
    const dead = spawn(process.execPath, ['-e', '0'])
    await new Promise((resolve) => dead.once('exit', resolve))
    await mkdir(join(dir, 'checkpoints'))
    const owner = { pid: dead.pid, host: hostname(), token: 'old', createdAt: new Date().toISOString() }
    await writeFile(join(dir, `${PATH}.lock`), JSON.stringify(owner))
    const result = await ensureWeights({ dir, models: [model(server.url)], ...quiet })
    expect(result.models[0]?.status).toBe('downloaded')
  })

  it('waits while a live process holds the lock, then proceeds', async () => {
    const server = await serve()
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'])
    try {
      await mkdir(join(dir, 'checkpoints'))
      const lock = join(dir, `${PATH}.lock`)
      const owner = { pid: holder.pid, host: hostname(), token: 'live', createdAt: new Date().toISOString() }
      await writeFile(lock, JSON.stringify(owner))
      const { logger, records } = captureLogger()
      const pending = ensureWeights({ dir, models: [model(server.url)], ...quiet, logger })
      for (let i = 0; i < 200 && !records.some((r) => r.event === 'weights_wait'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect(records.find((r) => r.event === 'weights_wait')).toMatchObject({ holder: { pid: holder.pid } })
      expect(server.ranges).toHaveLength(0)
      await rm(lock)
      expect((await pending).models[0]?.status).toBe('downloaded')
    } finally {
      holder.kill()
    }
  })

  it('reports HTTP errors with the file and the status', async () => {
    const server = await serve({ status: 404 })
    await expect(ensureWeights({ dir, models: [model(server.url)], ...quiet, retries: 1 })).rejects.toThrow(
      `downloading ${PATH}: HTTP 404`,
    )
    expect(server.ranges).toHaveLength(2)
  })

  it('refuses to start a download that cannot fit on the disk', async () => {
    const server = await serve()
    const huge = model(server.url, { size: 10 ** 18 })
    await expect(ensureWeights({ dir, models: [huge], ...quiet })).rejects.toMatchObject({ code: 'disk_space' })
    expect(server.ranges).toHaveLength(0)
  })

  it('rejects model paths that leave the models directory', async () => {
    await expect(ensureWeights({ dir, models: [model('http://x', { path: '../evil.safetensors' })] })).rejects.toThrow(
      /invalid model path/,
    )
  })
})

describe('progress and YAML rendering', () => {
  it('formats percentage, sizes, rate and ETA', () => {
    const line = formatProgress(
      { path: 'a', receivedBytes: 500_000_000, totalBytes: 1_000_000_000, bytesPerSecond: 100_000_000, done: false },
      10,
    )
    expect(line).toBe('a  [#####.....]  50.0%  500.0 MB / 1.0 GB  100.0 MB/s  ETA 5s')
  })

  it('maps every model folder under base_path', () => {
    const yaml = renderExtraModelPaths('/data/models', ['custom'])
    expect(yaml).toContain('genimage:\n  base_path: "/data/models"\n')
    expect(yaml).toContain('  custom: "custom/"\n')
    expect(yaml).toContain('  vae: "vae/"\n')
  })
})
