/**
 * Image stores for the server: a local directory and S3 (or any S3-compatible service), both behind `ImageStore`.
 * @module
 */

export { assertKeyMatches, contentTypeOfKey, IMAGE_KEY_PATTERN, InvalidImageKeyError, isImageKey } from './keys.js'
export type { LocalDirStore, LocalDirStoreOptions } from './local-dir-store.js'
export { createLocalDirStore } from './local-dir-store.js'
export type { RetentionOptions } from './retention.js'
export { FileRetention } from './retention.js'
export type { AwsCredentials, AwsCredentialsProvider, S3Client, S3StoreOptions } from './s3-store.js'
export { createS3Store, S3Error, s3Request } from './s3-store.js'
