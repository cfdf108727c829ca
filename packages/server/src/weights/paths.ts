import { resolve, sep } from 'node:path'

/**
 * Resolves a model's relative `path` inside `dir`, rejecting absolute paths, `..`, empty segments, backslashes and NUL.
 * @example modelFile('/data/models', 'checkpoints/a.safetensors') // '/data/models/checkpoints/a.safetensors'
 */
export function modelFile(dir: string, path: string): string {
  const segments = path.split('/')
  const bad =
    path.startsWith('/') ||
    path.includes('\\') ||
    path.includes('\0') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  const root = resolve(dir)
  const file = resolve(root, path)
  if (bad || !file.startsWith(root + sep))
    throw new Error(`invalid model path "${path}": must be relative, without ".."`)
  return file
}
