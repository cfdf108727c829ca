// Run here after a GPU run: puts what real ComfyUI answered into the fake ComfyUI's fixtures.
// - transcripts.jsonl: the `batch-3-2steps` scenario (a batched prompt of the default workflow as the bridge builds it)
//   and `img2img-2-2steps` (two image-to-image requests of one picture, batched) replace the recorded ones in
//   comfyui-0.8.0.json, condensed as the README says. `node-error` is left as recorded:
//   the transcript test replays it on the graph record.py used.
// - object-info-genimage.json (raw answers of our custom nodes) and object-info-builtin.json (the built-in classes of
//   the shipped workflows) become the flat `{class: info}` recordings the server's object_info test compares.
// Usage: node bench/gpu/update-fixtures.mjs <dir of the run's files> [date]
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { condense } from '@genimage/fake-comfyui'

const [dir, date = new Date().toISOString().slice(0, 10)] = process.argv.slice(2)
if (!dir) throw new Error('usage: node bench/gpu/update-fixtures.mjs <dir> [date]')
/** The scenarios bench/gpu records as the bridge builds them today (the others come from transcripts/record.py). */
const SCENARIOS = ['batch-3-2steps', 'img2img-2-2steps']
const fixtures = new URL('../../packages/fake-comfyui/src/transcripts/', import.meta.url)
const write = (name, value) => writeFile(new URL(name, fixtures), `${JSON.stringify(value, null, 1)}\n`)

const lines = (await readFile(join(dir, 'transcripts.jsonl'), 'utf8'))
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line))
const transcript = JSON.parse(await readFile(new URL('comfyui-0.8.0.json', fixtures), 'utf8'))
for (const name of SCENARIOS) {
  const scenario = lines.find((line) => line.kind === 'transcript' && line.name === name)
  if (!scenario) throw new Error(`transcripts.jsonl has no ${name} scenario`)
  transcript.scenarios[name] = condense(scenario.messages)
}
await write('comfyui-0.8.0.json', transcript)

const raw = JSON.parse(await readFile(join(dir, 'object-info-genimage.json'), 'utf8'))
const ours = {
  $comment: `GET /object_info/<class> of real ComfyUI 0.8.0 for our custom nodes (comfyui-nodes/genimage_output), recorded by bench/gpu (phase transcript) on an H200, ${date}.`,
}
for (const [name, answer] of Object.entries(raw)) ours[name] = answer[name]
await write('object-info-genimage.json', ours)

const builtin = JSON.parse(await readFile(join(dir, 'object-info-builtin.json'), 'utf8'))
await write('object-info-builtin.json', {
  $comment: `GET /object_info/<class> of real ComfyUI 0.8.0 for every built-in class the shipped workflows use, recorded by bench/gpu (phase transcript) on an H200, ${date}.`,
  ...builtin,
})
console.log(
  `updated ${SCENARIOS.join(', ')},`,
  Object.keys(ours).length - 1,
  'custom and',
  Object.keys(builtin).length,
  'built-in classes',
)
