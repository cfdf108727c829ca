/** The parts of an OpenAPI document the reference page renders. */
interface Document {
  readonly info: { readonly title: string; readonly version: string; readonly description?: string }
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>
  readonly components: { readonly schemas: Readonly<Record<string, Schema>> }
}
interface Operation {
  readonly summary?: string
  readonly description?: string
  readonly requestBody?: unknown
  readonly responses?: Readonly<Record<string, { readonly description?: string; readonly $ref?: string }>>
}
interface Schema {
  readonly description?: string
  readonly oneOf?: unknown
  readonly required?: readonly string[]
  readonly properties?: Readonly<
    Record<
      string,
      Schema & {
        readonly type?: string | readonly string[]
        readonly default?: unknown
        readonly enum?: readonly unknown[]
        readonly minimum?: number
        readonly maximum?: number
        readonly multipleOf?: number
        readonly $ref?: string
      }
    >
  >
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

const code = (text: string): string => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>')

const refName = (ref: string | undefined): string => ref?.split('/').at(-1) ?? ''

const constraints = (property: NonNullable<Schema['properties']>[string]): string =>
  [
    property.enum ? `one of ${property.enum.join(', ')}` : '',
    property.minimum !== undefined ? `≥ ${property.minimum}` : '',
    property.maximum !== undefined ? `≤ ${property.maximum}` : '',
    property.multipleOf !== undefined ? `multiple of ${property.multipleOf}` : '',
    property.default !== undefined ? `default ${JSON.stringify(property.default)}` : '',
  ]
    .filter(Boolean)
    .join('; ')

const schemaTable = (name: string, schema: Schema): string => {
  const rows = Object.entries(schema.properties ?? {}).map(
    ([field, property]) =>
      `<tr><td><code>${escapeHtml(field)}</code>${schema.required?.includes(field) ? ' *' : ''}</td><td>${escapeHtml(typeName(property.type) ?? refName(property.$ref))}</td><td>${escapeHtml(constraints(property))}</td><td>${code(property.description ?? '')}</td></tr>`,
  )
  return `<h3 id="schema-${escapeHtml(name)}">${escapeHtml(name)}</h3><table><tr><th>field</th><th>type</th><th>constraints</th><th>description</th></tr>${rows.join('')}</table>`
}

/** Where the page looks for Scalar's standalone bundle, relative to `/docs`; a host that has it serves it there. */
const SCALAR_SCRIPT_PATH = 'docs/scalar.js'

/** A schema's `type`, with a list (`[string, "null"]`) written as `string | null`. */
function typeName(type: string | readonly string[] | undefined): string | undefined {
  return typeof type === 'string' ? type : type?.join(' | ')
}

/**
 * Scalar's API reference, with request examples and "try it" against the server that serves `openapi.json` (its
 * `servers` entry), in place of the static page. No fonts or other assets are fetched from elsewhere.
 */
const scalar = `<script src="${SCALAR_SCRIPT_PATH}"></script><script>if (window.Scalar) { document.getElementById('static').remove(); Scalar.createApiReference('#reference', { url: 'openapi.json', withDefaultFonts: false, telemetry: false, agent: { disabled: true }, showDeveloperTools: 'never' }) }</script>`

/**
 * Renders an OpenAPI document as one HTML page for `GET /docs`: a static reference, with no external assets, that
 * becomes Scalar's interactive reference ("try it") where the host serves Scalar's bundle at `docs/scalar.js`
 * (the mock HTTP server does, from `@genimage/mocks`' optional peer `@scalar/api-reference`).
 * @example renderDocsPage(openApiDocument).startsWith('<!doctype html>') // true
 */
export function renderDocsPage(document: Document): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const responses = Object.entries(operation.responses ?? {})
        .map(
          ([status, response]) =>
            `<li><b>${escapeHtml(status)}</b> ${code(response.description ?? refName(response.$ref))}</li>`,
        )
        .join('')
      return `<section><h2><span class="method">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h2><p><b>${code(operation.summary ?? '')}</b></p><p>${code(operation.description ?? '')}</p><ul>${responses}</ul></section>`
    }),
  )
  const schemas = Object.entries(document.components.schemas)
    .filter(([, schema]) => schema.properties)
    .map(([name, schema]) => schemaTable(name, schema))
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)} reference</title><style>body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#222}#static{max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}.method{color:#06c}section{border-top:1px solid #eee;margin-top:1.5rem}</style></head><body><div id="reference"></div><main id="static"><h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1><p>${code(document.info.description ?? '')}</p><p>Machine-readable: <a href="openapi.json">openapi.json</a></p>${operations.join('')}<h2>Schemas</h2>${schemas.join('')}</main>${scalar}</body></html>`
}
