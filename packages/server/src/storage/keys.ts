import type { ImageContentType } from '@genimage/core'

/** The shape of every image key: content hash (or any id) plus the format's extension. */
export const IMAGE_KEY_PATTERN: RegExp = /^[A-Za-z0-9_-]{1,128}\.(png|jpeg|webp)$/

const contentTypes: Record<string, ImageContentType> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' }

/**
 * A key that does not match {@link IMAGE_KEY_PATTERN}; stores throw it from `put`.
 * @example try { await store.put('../x.png', image) } catch (error) { error instanceof InvalidImageKeyError }
 */
export class InvalidImageKeyError extends Error {
  override readonly name = 'InvalidImageKeyError'
  /** The rejected key. */
  readonly key: string

  constructor(key: string) {
    super(`invalid image key ${JSON.stringify(key)}: expected ${IMAGE_KEY_PATTERN.source}`)
    this.key = key
  }
}

/**
 * Whether `key` is a valid image key; keys that are not can never name a file or object.
 * @example isImageKey('3f2a9c.png') // true; isImageKey('../x.png') // false
 */
export function isImageKey(key: string): boolean {
  return typeof key === 'string' && IMAGE_KEY_PATTERN.test(key)
}

/**
 * The content type a key's extension stands for; throws {@link InvalidImageKeyError} for invalid keys.
 * @example contentTypeOfKey('a.webp') // 'image/webp'
 */
export function contentTypeOfKey(key: string): ImageContentType {
  if (!isImageKey(key)) throw new InvalidImageKeyError(key)
  return contentTypes[key.slice(key.lastIndexOf('.') + 1)]!
}

/** Throws unless `key` is valid and its extension matches `contentType`. */
export function assertKeyMatches(key: string, contentType: ImageContentType): void {
  const expected = contentTypeOfKey(key)
  if (expected !== contentType) {
    throw new TypeError(`image key ${JSON.stringify(key)} is for ${expected}, but the image is ${contentType}`)
  }
}
