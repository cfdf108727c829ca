/**
 * The base class of every error this client throws. Use {@link isGenimageError} to check it across bundles.
 * @example if (error instanceof GenimageError) console.error(error.message)
 */
export class GenimageError extends Error {
  override readonly name: string = 'GenimageError'
  /** Brand read by the `is…Error` guards, so they work when two copies of the package are loaded (ESM and CJS). */
  readonly isGenimageError = true

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
