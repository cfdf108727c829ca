import type { ImageContentType } from '../types.js'

/** A stored image as read back from an {@link ImageStore}. */
export interface StoredImage {
  /** The encoded bytes; may be a getter that encodes them on first read, with {@link byteLength} set. */
  bytes: Uint8Array
  contentType: ImageContentType
  /** The length of `bytes` when known without reading them; stores budget by it so as not to encode early. */
  byteLength?: number
}

/**
 * The length of an image's bytes, without reading a lazily encoded image's `bytes`.
 * @example sizeOf({ bytes: new Uint8Array(3), contentType: 'image/png' }) // 3
 */
export const sizeOf = (image: { bytes: Uint8Array; byteLength?: number }): number =>
  image.byteLength ?? image.bytes.byteLength

/**
 * Where finished images live until callers fetch them from `/files/{key}`.
 * Keys are content-addressed and match `^[A-Za-z0-9_-]{1,128}\.(png|jpeg|webp)$`.
 */
export interface ImageStore {
  /** Saves the bytes under `key`. */
  put(key: string, image: StoredImage): Promise<void>
  /** Reads the image under `key`, or `undefined` when there is none. */
  get(key: string): Promise<StoredImage | undefined>
  /** Absolute URL for `key` when the store serves files itself (S3, CDN); `undefined` means `/files/{key}` on this API. */
  publicUrl?(key: string): string | undefined
}
