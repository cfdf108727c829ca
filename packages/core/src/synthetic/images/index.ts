export { encodeJpeg } from './jpeg.js'
export { paintLatent } from './paint-latent.js'
export { encodePng } from './png.js'
export { encodeWebp } from './webp.js'
