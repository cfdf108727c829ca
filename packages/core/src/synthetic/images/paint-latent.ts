// The synthetic backend's picture: a "latent" grid of (width/8)×(height/8) RGB cells, row-major, 3 bytes each, that the
// encoders upsample to flat 8×8 blocks. Two to four colours picked from the prompt and seed blend smoothly across the
// frame, with a soft vignette and a little per-cell grain, so different prompts or seeds give visibly different
// pictures. Only IEEE-754 basic arithmetic is used (no Math.sin/exp, whose precision varies by engine), so the bytes
// are the same in every JS runtime.

/** Largest side the encoders accept (the WebP lossless limit); the API itself stops at 1024. */
const MAX_SIDE = 16384

/** Largest latent {@link paintLatentScratch} keeps between calls (a 4096² image's); bigger ones are one-off arrays. */
const MAX_KEPT_LATENT = 512 * 512 * 3

// Working arrays, reused: painting is synchronous, so no two calls share them. The colour field has at most 23 × 23
// knots whatever the size, so its arrays stay small.
let keptLatent = new Uint8ClampedArray(0)
let keptField = new Float64Array(0)
let keptLine = new Float64Array(0)

/**
 * Paints the deterministic latent grid (one RGB cell per 8×8 block) for a prompt, seed and size.
 * @example
 * const latent = paintLatent('a lighthouse at dusk', 42, 512, 512) // 64 × 64 × 3 bytes
 * const png = encodePng(latent, 512, 512)
 */
export function paintLatent(prompt: string, seed: number, width: number, height: number): Uint8Array {
  checkPaint(seed, width, height)
  const out = new Uint8ClampedArray((width / 8) * (height / 8) * 3)
  paintCells(out, prompt, seed, width, height)
  return new Uint8Array(out.buffer)
}

/**
 * {@link paintLatent} into a working array that the next call paints over: for a latent used at once and dropped
 * (encoded at once), with no allocation per call.
 * @example const png = encodePng(paintLatentScratch('a fox', 42, 512, 512), 512, 512)
 */
export function paintLatentScratch(prompt: string, seed: number, width: number, height: number): Uint8Array {
  checkPaint(seed, width, height)
  const length = (width / 8) * (height / 8) * 3
  if (length > MAX_KEPT_LATENT) return paintLatent(prompt, seed, width, height)
  if (keptLatent.length < length) keptLatent = new Uint8ClampedArray(length)
  paintCells(keptLatent, prompt, seed, width, height)
  return new Uint8Array(keptLatent.buffer, 0, length)
}

function checkPaint(seed: number, width: number, height: number): void {
  checkSize(width, height)
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer in 0..2^53-1, got ${seed}`)
}

/** Paints the cells of a checked size into `out` (at least their length), every cell written. */
function paintCells(out: Uint8ClampedArray, prompt: string, seed: number, width: number, height: number): void {
  let state = seedState(prompt, seed)
  const rand = (): number => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  // Whole numbers, `| 0` so that the compiler keeps them (and the indices made from them) as 32-bit integers: a
  // third of the time went to converting floating-point indices otherwise.
  const cols = (width / 8) | 0
  const rows = (height / 8) | 0
  // Coordinates are in units of the longer side, so blobs stay round on wide or tall frames.
  const extentX = width / Math.max(width, height)
  const extentY = height / Math.max(width, height)

  const count = 2 + Math.floor(rand() * 3)
  const hue0 = rand()
  const hueStep = (0.06 + rand() * 0.32) * (rand() < 0.5 ? -1 : 1)
  const brightFirst = rand() < 0.5 ? 0 : 1
  const red = new Float64Array(count)
  const green = new Float64Array(count)
  const blue = new Float64Array(count)
  const cx = new Float64Array(count)
  const cy = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const hue = hue0 + i * hueStep + (rand() - 0.5) * 0.05
    const sat = 0.4 + rand() * 0.5
    const light = (i + brightFirst) % 2 === 0 ? 0.55 + rand() * 0.25 : 0.2 + rand() * 0.3
    const [r, g, b] = hslToRgb(hue - Math.floor(hue), sat, light)
    red[i] = r
    green[i] = g
    blue[i] = b
    cx[i] = (rand() * 1.3 - 0.15) * extentX
    cy[i] = (rand() * 1.3 - 0.15) * extentY
  }
  const softness = 0.015 + rand() * 0.08
  const vignette = (0.12 + rand() * 0.25) / (0.25 * (extentX * extentX + extentY * extentY))
  const midX = extentX / 2
  const midY = extentY / 2
  const grain = 6 + Math.floor(rand() * 9)
  let noise = (rand() * 4294967296) | 0 || 1

  // The colour field is smooth, so evaluate it on knots every `span` cells (about 16 spans across the longer side)
  // and interpolate linearly in between; only the grain is per cell.
  const span = Math.max(1, Math.round(Math.max(cols, rows) / 16)) | 0
  const knotsX = (Math.ceil((cols - 1) / span) + 1) | 0
  const knotsY = (Math.ceil((rows - 1) / span) + 1) | 0
  const step = 8 / Math.max(width, height)
  if (keptField.length < knotsX * knotsY * 3) keptField = new Float64Array(knotsX * knotsY * 3)
  const field = keptField
  for (let ky = 0, k = 0; ky < knotsY; ky++) {
    const v = (ky * span + 0.5) * step
    for (let kx = 0; kx < knotsX; kx++, k += 3) {
      const u = (kx * span + 0.5) * step
      let sw = 0
      let sr = 0
      let sg = 0
      let sb = 0
      for (let i = 0; i < count; i++) {
        const dx = u - cx[i]!
        const dy = v - cy[i]!
        const d = dx * dx + dy * dy + softness
        const wgt = 1 / (d * d)
        sw += wgt
        sr += wgt * red[i]!
        sg += wgt * green[i]!
        sb += wgt * blue[i]!
      }
      const shade = (1 - vignette * ((u - midX) * (u - midX) + (v - midY) * (v - midY))) / sw
      field[k] = sr * shade
      field[k + 1] = sg * shade
      field[k + 2] = sb * shade
    }
  }

  // Uint8ClampedArray clamps to 0..255 and rounds on store (measured faster here than integer tricks).
  if (keptLine.length < knotsX * 3) keptLine = new Float64Array(knotsX * 3)
  const line = keptLine
  const inv = 1 / span
  // Grain amplitude in levels per unit of a signed 32-bit noise value: ±grain/2 levels.
  const amplitude = grain / 4294967296
  for (let y = 0, p = 0; y < rows; y++) {
    // Knot row for this cell row, interpolated between the knot rows above and below.
    const ky = (y / span) | 0
    const ty = (y - ky * span) * inv
    const above = ky * knotsX * 3
    const below = Math.min(ky + 1, knotsY - 1) * knotsX * 3
    for (let k = 0; k < knotsX * 3; k++) line[k] = field[above + k]! + (field[below + k]! - field[above + k]!) * ty
    for (let x = 0, kx = 0; x < cols; x += span, kx++) {
      const k = kx * 3
      const k1 = kx + 1 < knotsX ? k + 3 : k
      let r = line[k]!
      let g = line[k + 1]!
      let b = line[k + 2]!
      const dr = (line[k1]! - r) * inv
      const dg = (line[k1 + 1]! - g) * inv
      const db = (line[k1 + 2]! - b) * inv
      for (const stop = (y * cols + Math.min(x + span, cols)) * 3; p < stop; p += 3) {
        // Luminance grain from a xorshift32 stream.
        noise ^= noise << 13
        noise ^= noise >>> 17
        noise ^= noise << 5
        const n = noise * amplitude
        out[p] = r + n
        out[p + 1] = g + n
        out[p + 2] = b + n
        r += dr
        g += dg
        b += db
      }
    }
  }
}

/**
 * Throws a RangeError unless `latent` is the (width/8)×(height/8)×3 grid of a positive, multiple-of-8 size.
 * @example
 * checkLatent(new Uint8Array(64 * 64 * 3), 512, 512) // ok
 */
export function checkLatent(latent: Uint8Array, width: number, height: number): void {
  checkSize(width, height)
  const expected = (width / 8) * (height / 8) * 3
  if (latent.length !== expected) {
    throw new RangeError(`latent must hold ${expected} bytes for ${width}×${height}, got ${latent.length}`)
  }
}

/**
 * Throws a RangeError unless width and height are multiples of 8 in 8..16384, the sizes the painters and encoders take.
 * @example checkSize(512, 512) // ok
 */
export function checkSize(width: number, height: number): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 8 || v > MAX_SIDE || v % 8 !== 0) {
      throw new RangeError(`${name} must be a multiple of 8 in 8..${MAX_SIDE}, got ${v}`)
    }
  }
}

/** FNV-1a over the prompt's UTF-16 code units, mixed with both 32-bit halves of the seed (murmur3 finaliser). */
function seedState(prompt: string, seed: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < prompt.length; i++) h = Math.imul(h ^ prompt.charCodeAt(i), 0x01000193)
  const lo = seed >>> 0
  const hi = (seed / 4294967296) >>> 0
  return fmix32((fmix32(fmix32(h ^ 0x6a09e667) ^ lo) + 0x9e3779b9) ^ hi)
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s
  const hp = h * 6
  const x = c * (1 - Math.abs((hp % 2) - 1))
  const m = l - c / 2
  const [r, g, b] =
    hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x]
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255]
}
