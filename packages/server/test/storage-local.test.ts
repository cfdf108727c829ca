import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  contentTypeOfKey,
  createLocalDirStore,
  InvalidImageKeyError,
  isImageKey,
  type LocalDirStore,
} from '../src/storage/index.js'

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])

let root: string
let dir: string
let store: LocalDirStore
const stores: LocalDirStore[] = []

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'genimage-store-'))
  dir = join(root, 'files')
  store = createLocalDirStore(dir)
  stores.push(store)
  await writeFile(join(root, 'secret.png'), 'outside the store')
})

afterEach(async () => {
  for (const opened of stores.splice(0)) opened.close()
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

const image = (size: number, fill = 1) => ({
  bytes: new Uint8Array(size).fill(fill),
  contentType: 'image/png' as const,
})

/** A store over `dir` with retention options; closed after the test. */
const retaining = (options: Parameters<typeof createLocalDirStore>[1]): LocalDirStore => {
  const opened = createLocalDirStore(dir, options)
  stores.push(opened)
  return opened
}

/** Sets a file's modification time `ageMs` in the past. */
const age = async (key: string, ageMs: number) => {
  const then = new Date(Date.now() - ageMs)
  await utimes(join(dir, key), then, then)
}

describe('createLocalDirStore: retention', () => {
  it('keeps the directory within maxBytes by deleting the oldest images first', async () => {
    const budgeted = retaining({ maxBytes: 250 })
    for (const name of ['a', 'b', 'c', 'd', 'e']) await budgeted.put(`${name}.png`, image(100))
    expect((await readdir(dir)).sort()).toEqual(['d.png', 'e.png'])
    expect(await budgeted.get('a.png')).toBeUndefined()
    expect((await budgeted.get('e.png'))?.bytes.byteLength).toBe(100)
  })

  it('never deletes the image it just stored, even when it alone exceeds the budget', async () => {
    const tiny = retaining({ maxBytes: 10 })
    await tiny.put('old.png', image(5))
    await tiny.put('big.png', image(50))
    expect(await readdir(dir)).toEqual(['big.png'])
  })

  it('counts a key stored again once, as its newest copy', async () => {
    const budgeted = retaining({ maxBytes: 300 })
    await budgeted.put('a.png', image(100))
    await budgeted.put('b.png', image(100))
    await budgeted.put('a.png', image(100, 2))
    await budgeted.put('c.png', image(100))
    await budgeted.put('d.png', image(100))
    expect((await readdir(dir)).sort()).toEqual(['a.png', 'c.png', 'd.png'])
  })

  it('stops serving images past maxAgeMs at once and deletes them on the next put', async () => {
    let clock = Date.now()
    const aging = retaining({ maxAgeMs: 60_000, now: () => clock })
    await aging.put('old.png', image(10))
    clock += 61_000
    expect(await aging.get('old.png')).toBeUndefined()
    await aging.put('new.png', image(10))
    expect(await readdir(dir)).toEqual(['new.png'])
  })

  it('keeps images whatever their age with maxAgeMs 0', async () => {
    const forever = retaining({ maxAgeMs: 0 })
    await forever.put('old.png', image(10))
    await age('old.png', 10 * 365 * 86_400_000)
    await forever.put('new.png', image(10))
    expect((await forever.get('old.png'))?.bytes.byteLength).toBe(10)
  })

  it('sweeps what was there before it started, oldest first, without a put', async () => {
    await mkdir(dir, { recursive: true })
    for (const [key, ageMs] of [
      ['expired.png', 7_200_000],
      ['older.png', 1_800_000],
      ['newer.png', 60_000],
    ] as const) {
      await writeFile(join(dir, key), new Uint8Array(100))
      await age(key, ageMs)
    }
    await writeFile(join(dir, 'notes.txt'), 'not an image: left alone')
    const restarted = retaining({ maxAgeMs: 3_600_000, maxBytes: 150 })
    await restarted.sweep()
    expect((await readdir(dir)).sort()).toEqual(['newer.png', 'notes.txt'])
  })

  it('sweeps on its interval, catching images another process wrote', async () => {
    const swept = retaining({ maxBytes: 150, sweepIntervalMs: 20 })
    await swept.put('mine.png', image(100))
    await writeFile(join(dir, 'theirs.png'), new Uint8Array(100))
    await vi.waitFor(async () => expect(await readdir(dir)).toEqual(['theirs.png']), { timeout: 5000 })
  })

  it('answers undefined at once for a FIFO under a key, without waiting for a writer', async () => {
    await mkdir(dir, { recursive: true })
    execFileSync('mkfifo', [join(dir, 'fifo.png')])
    // Four reads would hold every libuv thread if the open blocked; the fifth would never run.
    const reads = await Promise.all(Array.from({ length: 5 }, () => store.get('fifo.png')))
    expect(reads).toEqual([undefined, undefined, undefined, undefined, undefined])
    await store.put('after.png', image(3))
    expect((await store.get('after.png'))?.bytes.byteLength).toBe(3)
    expect((await stat(join(dir, 'fifo.png'))).isFIFO()).toBe(true)
  })
})
