import { type ImageStore, type StoredImage, sizeOf } from './image-store.js'

/**
 * An {@link ImageStore} in memory, evicting the least recently used images past a byte budget.
 * The default store of the mocks and of a server without a files directory.
 * @example const store = new MemoryImageStore({ maxBytes: 64 * 1024 * 1024 })
 */
export class MemoryImageStore implements ImageStore {
  readonly #images = new Map<string, StoredImage>()
  readonly #maxBytes: number
  #bytes = 0

  /** @param options.maxBytes Total size kept before evicting the oldest images. @default 268435456 (256 MiB) */
  constructor(options: { maxBytes?: number } = {}) {
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024
  }

  async put(key: string, image: StoredImage): Promise<void> {
    const previous = this.#images.get(key)
    if (previous) {
      this.#images.delete(key)
      this.#bytes -= sizeOf(previous)
    }
    this.#images.set(key, image)
    this.#bytes += sizeOf(image)
    if (this.#bytes > this.#maxBytes) this.#evictFor(key)
  }

  /** Forgets the least recently used images until the store fits its limit again, or only `key` is left. */
  #evictFor(key: string): void {
    for (const [oldKey, oldImage] of this.#images) {
      if (this.#bytes <= this.#maxBytes || oldKey === key) break
      this.#images.delete(oldKey)
      this.#bytes -= sizeOf(oldImage)
    }
  }

  async get(key: string): Promise<StoredImage | undefined> {
    const image = this.#images.get(key)
    if (image) {
      this.#images.delete(key)
      this.#images.set(key, image)
    }
    return image
  }
}
