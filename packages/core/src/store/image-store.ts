import type { ImageContentType } from '../types.js'

/** A stored image as read back from an {@link ImageStore}. */
export interface StoredImage {
  bytes: Uint8Array
  contentType: ImageContentType
}

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
