/** What went wrong while providing weights. */
export type WeightsErrorCode = 'integrity' | 'download' | 'disk_space' | 'lock'

/**
 * A failure of the weights cache, naming the model file.
 * @example if (error instanceof WeightsError && error.code === 'integrity') process.exit(1)
 */
export class WeightsError extends Error {
  override readonly name = 'WeightsError'
  /** The failure kind. */
  readonly code: WeightsErrorCode
  /** The model path (relative to the models directory). */
  readonly path: string

  constructor(code: WeightsErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.path = path
  }
}
