/**
 * Installs our ComfyUI custom nodes (`comfyui-nodes/*`, e.g. `genimage_output`) into `<ComfyUI>/custom_nodes/`.
 * Call it before starting ComfyUI: ComfyUI imports custom nodes once, at startup.
 * @module
 */
import { cp, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * ComfyUI's entry script when `LAZY_IMPORTS` is on, relative to the ComfyUI folder: `genimage_output/launch.py`
 * (installed by {@link installComfyNodes}) runs ComfyUI's own `main.py` with torchvision and scipy imported on first use.
 * @example buildComfyArgs({ entry: COMFY_LAUNCHER }) // ['custom_nodes/genimage_output/launch.py', '--listen', …]
 */
export const COMFY_LAUNCHER = 'custom_nodes/genimage_output/launch.py'

/**
 * The folder of the custom nodes shipped with the server, from sources or from a build.
 * @example
 * defaultComfyNodesDir() // '/app/node_modules/@genimage/server/comfyui-nodes'
 */
export function defaultComfyNodesDir(): string {
  const here = new URL('.', import.meta.url)
  const dir = here.pathname.includes('/src/')
    ? new URL('../../comfyui-nodes/', here)
    : new URL('../comfyui-nodes/', here)
  return decodeURIComponent(dir.pathname)
}

/**
 * Copies every node package of `sourceDir` into `<comfyDir>/custom_nodes/`, replacing older copies. Each package is
 * copied under a `.disabled` name (which ComfyUI skips) and renamed into place, so a ComfyUI starting meanwhile
 * never imports half a package. Returns the installed folders.
 * @example
 * await installComfyNodes('/opt/ComfyUI') // ['/opt/ComfyUI/custom_nodes/genimage_output']
 */
export async function installComfyNodes(comfyDir: string, sourceDir = defaultComfyNodesDir()): Promise<string[]> {
  const target = join(comfyDir, 'custom_nodes')
  const installed: string[] = []
  for (const entry of await readdir(sourceDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === '__pycache__') continue
    const destination = join(target, entry.name)
    const staging = join(target, `${entry.name}.${process.pid}.disabled`)
    await rm(staging, { recursive: true, force: true })
    await cp(join(sourceDir, entry.name), staging, {
      recursive: true,
      filter: (path) => !path.includes('__pycache__'),
    })
    await rm(destination, { recursive: true, force: true })
    await rename(staging, destination)
    installed.push(destination)
  }
  return installed
}
