import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ImageStore } from '@genimage/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { contentTypeOfKey, createLocalDirStore, InvalidImageKeyError, isImageKey } from '../src/storage/index.js'

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])

let root: string
let dir: string
let store: ImageStore

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'genimage-store-'))
  dir = join(root, 'files')
  store = createLocalDirStore(dir)
  await writeFile(join(root, 'secret.png'), 'outside the store')
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('image keys', () => {
  it('accepts content-hash keys with a known extension and nothing else', () => {
    expect(isImageKey('3f2a9c_AB-01.png')).toBe(true)
    expect(isImageKey(`${'a'.repeat(128)}.webp`)).toBe(true)
    for (const key of [
      '',
      '.png',
      `${'a'.repeat(129)}.png`,
      'a.jpg',
      'a.PNG',
      'a.png.exe',
      '../secret.png',
      '..%2fsecret.png',
      '%2e%2e.png',
      '/etc/passwd',
      'a/b.png',
      'a\\b.png',
      'a\0.png',
      'a.png\n',
    ]) {
      expect(isImageKey(key), key).toBe(false)
    }
    expect(contentTypeOfKey('a.jpeg')).toBe('image/jpeg')
  })
})

describe('createLocalDirStore', () => {
  it('stores and reads back an image, creating the directory on first write', async () => {
    await store.put('abc123.png', { bytes: PNG, contentType: 'image/png' })
    const image = await store.get('abc123.png')
    expect(image?.contentType).toBe('image/png')
    expect([...(image?.bytes ?? [])]).toEqual([...PNG])
    expect(await readdir(dir)).toEqual(['abc123.png'])
    expect(await store.get('missing.png')).toBeUndefined()
  })

  it('replaces an existing key atomically, leaving no temp files', async () => {
    await store.put('k.webp', { bytes: new Uint8Array([1]), contentType: 'image/webp' })
    await store.put('k.webp', { bytes: new Uint8Array([2, 2]), contentType: 'image/webp' })
    expect([...((await store.get('k.webp'))?.bytes ?? [])]).toEqual([2, 2])
    expect(await readdir(dir)).toEqual(['k.webp'])
  })

  it('rejects invalid keys on put and never writes outside the directory', async () => {
    for (const key of ['../secret.png', '%2e%2e%2fsecret.png', join(root, 'secret.png'), 'a\0.png', 'sub/a.png']) {
      await expect(store.put(key, { bytes: PNG, contentType: 'image/png' })).rejects.toBeInstanceOf(
        InvalidImageKeyError,
      )
    }
    expect(await readFile(join(root, 'secret.png'), 'utf8')).toBe('outside the store')
  })

  it('rejects a key whose extension does not match the content type', async () => {
    await expect(store.put('a.png', { bytes: PNG, contentType: 'image/jpeg' })).rejects.toThrow(/is for image\/png/)
  })

  it('answers undefined for traversal attempts on get', async () => {
    await store.put('inside.png', { bytes: PNG, contentType: 'image/png' })
    for (const key of [
      '../secret.png',
      '..%2fsecret.png',
      '%2e%2e%2fsecret.png',
      join(root, 'secret.png'),
      'x\0.png',
    ]) {
      expect(await store.get(key), key).toBeUndefined()
    }
  })

  it('does not follow symlinks, in either direction', async () => {
    await mkdir(dir, { recursive: true })
    await symlink(join(root, 'secret.png'), join(dir, 'link.png'))
    expect(await store.get('link.png')).toBeUndefined()

    await store.put('link.png', { bytes: PNG, contentType: 'image/png' })
    expect(await readFile(join(root, 'secret.png'), 'utf8')).toBe('outside the store')
    expect([...((await store.get('link.png'))?.bytes ?? [])]).toEqual([...PNG])
  })

  it('ignores directories named like keys', async () => {
    await mkdir(join(dir, 'folder.png'), { recursive: true })
    expect(await store.get('folder.png')).toBeUndefined()
  })
})
