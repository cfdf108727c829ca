// The fake's /object_info against recordings of real ComfyUI 0.8.0, class by class, for every class the shipped
// workflows and the batcher use. The startup bindings check reads these schemas, so where a class is recorded the
// check is proven against the real one.
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FakeComfyUI } from '@genimage/fake-comfyui'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BATCH_CLASSES,
  checkWorkflow,
  defaultWorkflowDir,
  type NodeInfo,
  readWorkflowFiles,
  type WorkflowFiles,
} from '../src/comfyui/index.js'

/** `GET /object_info/<class>` of real ComfyUI 0.8.0, from every `object-info-*.json` recording (`$` keys: comments). */
const recorded: Record<string, NodeInfo> = {}
let workflows: WorkflowFiles[] = []
let fake: FakeComfyUI

beforeAll(async () => {
  const transcripts = dirname(
    fileURLToPath(import.meta.resolve('@genimage/fake-comfyui/transcripts/comfyui-0.8.0.json')),
  )
  for (const file of (await readdir(transcripts)).filter((name) => /^object-info-.+\.json$/.test(name))) {
    const json = JSON.parse(await readFile(join(transcripts, file), 'utf8')) as Record<string, NodeInfo>
    for (const [name, info] of Object.entries(json)) if (!name.startsWith('$')) recorded[name] = info
  }
  const root = dirname(defaultWorkflowDir())
  const names = (await readdir(root, { withFileTypes: true })).filter((entry) => entry.isDirectory())
  workflows = await Promise.all(names.map((entry) => readWorkflowFiles(join(root, entry.name))))
  fake = await FakeComfyUI.start()
  await fake.booted
})
afterAll(async () => {
  await fake?.close()
})

/** Every class a shipped workflow names, and the ones the batcher adds. */
function usedClasses(): string[] {
  const classes = workflows.flatMap((files) => Object.values(files.graph).map((node) => node.class_type))
  return [...new Set([...classes, ...BATCH_CLASSES])].sort()
}

async function fakeInfo(name: string): Promise<NodeInfo | undefined> {
  const response = await fetch(`${fake.url}/object_info/${name}`)
  return ((await response.json()) as Record<string, NodeInfo>)[name]
}

describe('the fake ComfyUI /object_info against recordings of real ComfyUI 0.8.0', () => {
  it('reads the shipped workflows', () => {
    expect(workflows.map((files) => files.name).sort()).toEqual([
      'sdxl-turbo',
      'sdxl-turbo-cfg',
      'sdxl-turbo-img2img',
      'sdxl-turbo-png',
    ])
  })

  it('has a recording of real ComfyUI for every class the workflows and the batcher use', () => {
    expect(usedClasses().filter((name) => !(name in recorded))).toEqual([])
  })

  it('answers /object_info/<class> for each of them exactly as real ComfyUI did', async () => {
    const used = usedClasses()
    expect(used.length).toBeGreaterThan(15)
    for (const name of used) expect(await fakeInfo(name), name).toEqual(recorded[name])
  })

  it('passes the bindings check of every shipped workflow with the recorded schemas where they exist', async () => {
    const lookup = async (name: string) => recorded[name] ?? (await fakeInfo(name))
    for (const files of workflows) {
      const workflow = await checkWorkflow(files, lookup)
      expect(workflow.outputNode, files.name).toBe('27')
    }
  })
})
