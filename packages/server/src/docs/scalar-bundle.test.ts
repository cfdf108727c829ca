import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { registerScalarBundle } from './scalar-bundle.js'

describe('registerScalarBundle', () => {
  it("serves Scalar's standalone bundle at /docs/scalar.js, where the /docs page loads it from", async () => {
    const app = new Hono()
    registerScalarBundle(app)
    const response = await app.request('/docs/scalar.js')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const script = await response.text()
    expect(script.length).toBeGreaterThan(100_000)
    expect(script).toContain('createApiReference')
  })
})
