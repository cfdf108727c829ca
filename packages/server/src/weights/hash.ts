import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, rename, stat, writeFile } from 'node:fs/promises'

/** What the sidecar file remembers about a verified model file. */
export interface VerifiedRecord {
  sha256: string
  size: number
  mtimeMs: number
}

/**
 * Feeds the first `length` bytes of `file` (all of it by default) into `hash`, streaming.
 * @example const hash = createHash('sha256'); await hashFileInto(hash, part)
 */
export async function hashFileInto(hash: Hash, file: string, length?: number): Promise<number> {
  if (length === 0) return 0
  let bytes = 0
  const stream = createReadStream(file, {
    highWaterMark: 1 << 20,
    ...(length === undefined ? {} : { end: length - 1 }),
  })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk)
    bytes += chunk.length
  }
  return bytes
}

/** SHA-256 (hex) of a whole file, streaming. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  await hashFileInto(hash, file)
  return hash.digest('hex')
}

/** The sidecar path next to a model file; its `.json` extension keeps it out of ComfyUI's model lists. */
export function sidecarPath(file: string): string {
  return `${file}.sha256.json`
}

/** Reads the sidecar and returns it when it still describes `file` (same size and mtime). */
export async function readVerified(file: string): Promise<VerifiedRecord | undefined> {
  try {
    const [record, info] = await Promise.all([readFile(sidecarPath(file), 'utf8'), stat(file)])
    const parsed = JSON.parse(record) as VerifiedRecord
    if (parsed.size === info.size && parsed.mtimeMs === info.mtimeMs && /^[0-9a-f]{64}$/.test(parsed.sha256)) {
      return parsed
    }
  } catch {
    // No sidecar, unreadable, or no file: not verified.
  }
  return undefined
}

/** Records that `file` hashes to `sha256`, so the next start skips rehashing it. */
export async function writeVerified(file: string, sha256: string): Promise<VerifiedRecord> {
  const info = await stat(file)
  const record: VerifiedRecord = { sha256, size: info.size, mtimeMs: info.mtimeMs }
  const temp = `${sidecarPath(file)}.${process.pid}.tmp`
  await writeFile(temp, `${JSON.stringify(record)}\n`)
  await rename(temp, sidecarPath(file))
  return record
}
