/** The picture formats the API accepts as `image_url`. */
export const PICTURE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/webp']

/** The largest picture the server accepts by default (`IMAGE_URL_MAX_BYTES`): 4 MiB. */
export const MAX_PICTURE_BYTES = 4 * 1024 * 1024

/**
 * Reads an uploaded picture as a `data:` URI to send as `image_url`; rejects with a message for the user when the
 * file is not a PNG, JPEG or WebP, or is larger than the server takes. The server still checks the bytes.
 * @example const image_url = await readPicture(input.files[0])
 */
export function readPicture(file: Blob & { name?: string }): Promise<string> {
  if (!PICTURE_TYPES.includes(file.type)) {
    return Promise.reject(
      new Error(
        `Choose a PNG, JPEG or WebP picture (${file.name ?? 'this file'} is ${file.type || 'of an unknown type'})`,
      ),
    )
  }
  if (file.size > MAX_PICTURE_BYTES) {
    return Promise.reject(new Error(`That picture is ${(file.size / 1048576).toFixed(1)} MiB; the limit is 4 MiB`))
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result))
    reader.onerror = () => reject(reader.error ?? new Error('The picture could not be read'))
    reader.readAsDataURL(file)
  })
}

/**
 * The steps to send with a picture: the chosen count when `strength × steps ≥ 1` (SDXL Turbo's rule), else none,
 * so the server picks the smallest count that works.
 * @example stepsWithPicture(0.5, 1) // undefined: the server uses 2
 */
export function stepsWithPicture(strength: number, steps: number): number | undefined {
  return Math.floor(strength * steps + 1e-9) >= 1 ? steps : undefined
}
