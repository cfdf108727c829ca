export { decodeDataUri } from './data-uri.js'
export type { InputImageContext, InputImageOptions, InputImageResolver } from './resolve.js'
export {
  createInputImageResolver,
  DEFAULT_MAX_INPUT_IMAGE_BYTES,
  DEFAULT_MAX_INPUT_IMAGE_SIDE,
} from './resolve.js'
export type { SniffedImage } from './sniff.js'
export { sniffImage } from './sniff.js'
