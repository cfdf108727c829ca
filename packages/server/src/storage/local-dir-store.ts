import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ImageStore, StoredImage } from '@genimage/core'
import { assertKeyMatches, contentTypeOfKey, isImageKey } from './keys.js'
import { FileRetention, type RetentionOptions } from './retention.js'

/** Options of {@link createLocalDirStore}: the retention of its images. */
export type LocalDirStoreOptions = RetentionOptions

/** An image store in a local directory, with its retention sweeper. */
export interface LocalDirStore extends ImageStore {
  /** Rescans the directory and deletes what the age limit and the byte budget no longer allow. */
  sweep(): Promise<void>
  /** Stops the periodic sweep. */
  close(): void
}

// O_NONBLOCK: opening a FIFO (or another special file) must not wait for a writer; regular files ignore the flag.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

/**
 * An {@link ImageStore} in a local directory. Writes go to a temp file then `rename`, so readers never see half an
 * image. Only keys matching `^[A-Za-z0-9_-]{1,128}\.(png|jpeg|webp)$` are used: `put` throws for others and `get`
 * answers `undefined` without touching the disk; symlinks are never followed and only regular files are read (a FIFO
 * or device under a key's name answers `undefined` at once). Images past `maxAgeMs` answer `undefined` and are
 * deleted, as are the oldest ones past `maxBytes` (see {@link FileRetention}).
 * @example const store = createLocalDirStore('/data/files', { maxAgeMs: 86_400_000 }); await store.put('3f2a.png', { bytes, contentType: 'image/png' })
 */
export function createLocalDirStore(dir: string, options: LocalDirStoreOptions = {}): LocalDirStore {
  const root = resolve(dir)
  const retention = new FileRetention(root, options)
  const ready = retention.sweep().catch((error: Error) => options.onSweepError?.(error))
  let created: Promise<unknown> | undefined

  return {
    async put(key: string, image: StoredImage): Promise<void> {
      assertKeyMatches(key, image.contentType)
      created ??= mkdir(root, { recursive: true })
      await Promise.all([created, ready])
      const temp = join(root, `.tmp-${randomUUID()}`)
      try {
        await writeFile(temp, image.bytes, { flag: 'wx', mode: 0o644 })
        await retention.mutate(() => rename(temp, join(root, key)))
      } catch (error) {
        await unlink(temp).catch(() => {})
        throw error
      }
      await retention.added(key, image.bytes.byteLength)
    },

    async get(key: string): Promise<StoredImage | undefined> {
      if (!isImageKey(key)) return undefined
      let handle: Awaited<ReturnType<typeof open>>
      try {
        handle = await open(join(root, key), READ_FLAGS)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENXIO') return undefined
        throw error
      }
      try {
        const stats = await handle.stat()
        if (!stats.isFile() || retention.expired(stats.mtimeMs)) return undefined
        const buffer = await handle.readFile()
        const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
        return { bytes, contentType: contentTypeOfKey(key) }
      } finally {
        await handle.close()
      }
    },

    sweep: () => retention.sweep(),
    close: () => retention.close(),
  }
}
