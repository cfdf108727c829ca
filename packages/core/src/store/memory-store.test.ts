import { describe, expect, it } from 'vitest'
import { MemoryImageStore } from './memory-store.js'

const image = (size: number) => ({ bytes: new Uint8Array(size), contentType: 'image/png' as const })

describe('MemoryImageStore', () => {
  it('evicts the least recently used images past its byte budget', async () => {
    const store = new MemoryImageStore({ maxBytes: 300 })
    await store.put('a.png', image(100))
    await store.put('b.png', image(100))
    await store.put('c.png', image(100))
    await store.get('a.png')
    await store.put('d.png', image(100))
    expect(await store.get('b.png')).toBeUndefined()
    for (const key of ['a.png', 'c.png', 'd.png']) expect(await store.get(key), key).toBeDefined()
  })

  it('keeps the newest image even when it alone is over the budget, evicting everything else', async () => {
    const store = new MemoryImageStore({ maxBytes: 100 })
    await store.put('small.png', image(50))
    await store.put('huge.png', image(500))
    expect(await store.get('small.png')).toBeUndefined()
    expect((await store.get('huge.png'))?.bytes.byteLength).toBe(500)
  })

  it('budgets an image encoded on first read by its byteLength, without reading it', async () => {
    const store = new MemoryImageStore({ maxBytes: 250 })
    let reads = 0
    const lazy = (byteLength: number) => ({
      contentType: 'image/png' as const,
      byteLength,
      get bytes() {
        reads += 1
        return new Uint8Array(byteLength)
      },
    })
    await store.put('a.png', lazy(100))
    await store.put('a.png', lazy(100))
    await store.put('b.png', lazy(100))
    await store.put('c.png', image(100))
    expect(reads).toBe(0)
    expect(await store.get('a.png')).toBeUndefined()
    expect((await store.get('b.png'))?.bytes.byteLength).toBe(100)
    expect(reads).toBe(1)
  })

  it('counts an image put twice once', async () => {
    const store = new MemoryImageStore({ maxBytes: 250 })
    await store.put('a.png', image(100))
    await store.put('a.png', image(100))
    await store.put('b.png', image(100))
    expect(await store.get('a.png')).toBeDefined()
    expect(await store.get('b.png')).toBeDefined()
  })
})
