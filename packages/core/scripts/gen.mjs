// Generates the contract artefacts of @genimage/core from openapi/genimage.yaml:
// TypeScript types (openapi-typescript), the document as JSON, and the request schema the validator walks.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import { parse } from 'yaml'

const here = dirname(fileURLToPath(import.meta.url))
const specPath = resolve(here, '../../../openapi/genimage.yaml')
const outDir = resolve(here, '../src/generated')
const banner = '// Generated from openapi/genimage.yaml by packages/core/scripts/gen.mjs. Do not edit.\n'

const source = await readFile(specPath, 'utf8')
const document = parse(source)
await mkdir(outDir, { recursive: true })

const ast = await openapiTS(new URL(`file://${specPath}`), { exportType: true, defaultNonNullable: false })
await writeFile(resolve(outDir, 'openapi-types.ts'), banner + astToString(ast))

await writeFile(
  resolve(outDir, 'openapi-document.ts'),
  `${banner}/** The OpenAPI document served at \`/openapi.json\`. */\nexport const openApiDocument = ${JSON.stringify(document, null, 2)} as const\n`,
)

const requestSchema = document.components.schemas.GenerateRequest
await writeFile(
  resolve(outDir, 'generate-request-schema.ts'),
  `${banner}/** The JSON Schema of a generate request body, as the contract states it. */\nexport const generateRequestSchema = ${JSON.stringify(requestSchema, null, 2)} as const\n`,
)
console.log('generated', outDir)
