import type { ExtraInputs } from '../validation/extra-inputs.js'

/** The part of an OpenAPI document that extra inputs change. */
interface WithGenerateRequest {
  readonly components: {
    readonly schemas: { readonly GenerateRequest: { readonly properties: Readonly<Record<string, unknown>> } }
  }
}

/** What `/openapi.json` says of an extra input that has no description of its own. */
const NO_DESCRIPTION = "An input of this server's workflow."

/**
 * The document with each extra input added to `GenerateRequest`'s properties (the body of `POST /generate` and
 * `POST /queue/generate`), so that `/openapi.json` and `/docs` describe what this server accepts. Without extra
 * inputs, the document itself.
 * @example withExtraInputs(openApiDocument, { cfg: { type: 'number', default: 1 } }).components.schemas.GenerateRequest.properties.cfg
 */
export function withExtraInputs<D extends WithGenerateRequest>(document: D, inputs: ExtraInputs | undefined): D {
  if (!inputs || Object.keys(inputs).length === 0) return document
  const request = document.components.schemas.GenerateRequest
  const added = Object.fromEntries(
    Object.entries(inputs).map(([name, schema]) => [
      name,
      { ...schema, description: schema.description ?? NO_DESCRIPTION },
    ]),
  )
  return {
    ...document,
    components: {
      ...document.components,
      schemas: {
        ...document.components.schemas,
        GenerateRequest: { ...request, properties: { ...request.properties, ...added } },
      },
    },
  }
}
