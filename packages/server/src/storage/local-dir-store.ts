import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ImageStore, StoredImage } from '@genimage/core'
import { assertKeyMatches, contentTypeOfKey, isImageKey } from './keys.js'

/**
 * An {@link ImageStore} in a local directory. Writes go to a temp file then `rename`, so readers never see half an
 * image. Only keys matching `^[A-Za-z0-9_-]{1,128}\.(png|jpeg|webp)$` are used: `put` throws for others and `get`
 * answers `undefined` without touching the disk; symlinks are never followed (`O_NOFOLLOW`, regular files only).
 * @example const store = createLocalDirStore('/data/files'); await store.put('3f2a.png', { bytes, contentType: 'image/png' })
 */
export function createLocalDirStore(dir: string): ImageStore {
  const root = resolve(dir)
  let ready: Promise<unknown> | undefined

  return {
    async put(key: string, image: StoredImage): Promise<void> {
      assertKeyMatches(key, image.contentType)
      ready ??= mkdir(root, { recursive: true })
      await ready
      const temp = join(root, `.tmp-${randomUUID()}`)
      try {
        await writeFile(temp, image.bytes, { flag: 'wx', mode: 0o644 })
        await rename(temp, join(root, key))
      } catch (error) {
        await unlink(temp).catch(() => {})
        throw error
      }
    },

    async get(key: string): Promise<StoredImage | undefined> {
      if (!isImageKey(key)) return undefined
      let handle: Awaited<ReturnType<typeof open>>
      try {
        handle = await open(join(root, key), constants.O_RDONLY | constants.O_NOFOLLOW)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return undefined
        throw error
      }
      try {
        if (!(await handle.stat()).isFile()) return undefined
        const buffer = await handle.readFile()
        const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
        return { bytes, contentType: contentTypeOfKey(key) }
      } finally {
        await handle.close()
      }
    },
  }
}
