import { createHash, type Hash } from 'node:crypto'
import { type FileHandle, open, stat, statfs } from 'node:fs/promises'
import { dirname } from 'node:path'
import { WeightsError } from './errors.js'
import { hashFileInto } from './hash.js'

/** Options of {@link downloadToPart}. */
export interface PartDownloadOptions {
  /** Model path, for messages. */
  path: string
  url: string
  /** The `.part` file; existing bytes are kept and the rest is requested with `Range: bytes=N-`. */
  part: string
  headers?: Record<string, string>
  /** Expected total size, when known. */
  size?: number
  fetch: typeof fetch
  signal?: AbortSignal
  /** Called after each chunk with the bytes now in the part file and the total when known. */
  onBytes?: (receivedBytes: number, totalBytes: number | undefined) => void
}

/** What a finished part file holds. */
export interface PartDownloadResult {
  sha256: string
  size: number
}

/**
 * Downloads `url` into `part`, resuming from its current size with an HTTP Range request (a 200 answer restarts from
 * zero), hashing while writing (the kept prefix is hashed from disk first), then fsyncs. Throws on HTTP errors, a
 * dropped connection (the part file keeps what arrived) or too little disk space.
 * @example const { sha256, size } = await downloadToPart({ path, url, part: `${file}.part`, fetch })
 */
export async function downloadToPart(options: PartDownloadOptions): Promise<PartDownloadResult> {
  const offset = await sizeOf(options.part)
  if (options.size !== undefined && offset === options.size) return finishFromDisk(options.part)
  if (options.size !== undefined && offset > options.size) return restart(options)
  if (options.size !== undefined) await ensureSpace(options.path, options.part, options.size - offset)

  const headers: Record<string, string> = { ...options.headers }
  if (offset > 0) headers.range = `bytes=${offset}-`
  const response = await request(options, headers)
  if (response.status === 416 && offset > 0) {
    await response.body?.cancel().catch(() => {})
    const complete = response.headers.get('content-range') === `bytes */${offset}`
    return complete ? finishFromDisk(options.part) : restart(options)
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel().catch(() => {})
    throw new WeightsError(
      'download',
      options.path,
      `downloading ${options.path}: HTTP ${response.status} from ${options.url}`,
    )
  }
  const resumed = response.status === 206
  if (resumed && parseRangeStart(response.headers.get('content-range')) !== offset) {
    await response.body?.cancel().catch(() => {})
    throw new WeightsError('download', options.path, `downloading ${options.path}: server answered a different range`)
  }
  const start = resumed ? offset : 0
  const total = totalSize(response, start) ?? options.size
  if (total !== undefined) await ensureSpace(options.path, options.part, total - start)

  const hash = createHash('sha256')
  if (start > 0) await hashFileInto(hash, options.part, start)
  const handle = await open(options.part, start > 0 ? 'a' : 'w')
  let received = start
  try {
    options.onBytes?.(received, total)
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        await writeAll(handle, chunk)
        hash.update(chunk)
        received += chunk.byteLength
        options.onBytes?.(received, total)
      }
    }
    await handle.sync()
  } catch (error) {
    throw new WeightsError(
      'download',
      options.path,
      `downloading ${options.path}: connection lost after ${received} bytes (${(error as Error).message}); ` +
        'the next attempt resumes from there',
      { cause: error },
    )
  } finally {
    await handle.close()
  }
  return { sha256: hash.digest('hex'), size: received }
}

async function request(options: PartDownloadOptions, headers: Record<string, string>): Promise<Response> {
  try {
    return await options.fetch(options.url, { headers, redirect: 'follow', signal: options.signal })
  } catch (error) {
    if (options.signal?.aborted) throw error
    throw new WeightsError(
      'download',
      options.path,
      `downloading ${options.path} from ${options.url}: ${errorText(error)}`,
      {
        cause: error,
      },
    )
  }
}

async function restart(options: PartDownloadOptions): Promise<PartDownloadResult> {
  const handle = await open(options.part, 'w')
  await handle.close()
  return downloadToPart(options)
}

async function finishFromDisk(part: string): Promise<PartDownloadResult> {
  const hash: Hash = createHash('sha256')
  const size = await hashFileInto(hash, part)
  return { sha256: hash.digest('hex'), size }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let written = 0
  while (written < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written)
    written += bytesWritten
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size
  } catch {
    return 0
  }
}

function parseRangeStart(contentRange: string | null): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(contentRange?.trim() ?? '')
  return match ? Number(match[1]) : undefined
}

function totalSize(response: Response, start: number): number | undefined {
  const range = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')
  if (range) return Number(range[1])
  const length = response.headers.get('content-length')
  return length === null ? undefined : start + Number(length)
}

async function ensureSpace(path: string, part: string, needed: number): Promise<void> {
  const info = await statfs(dirname(part))
  const free = info.bavail * info.bsize
  if (free < needed) {
    throw new WeightsError(
      'disk_space',
      path,
      `not enough disk space for ${path}: ${needed} bytes needed, ${free} free in ${dirname(part)}`,
    )
  }
}

function errorText(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error as Error).message
}
