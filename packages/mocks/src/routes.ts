/** The API's routes, as MSW path patterns under the base URL. */
export const API_ROUTES = [
  { method: 'post', path: '/generate' },
  { method: 'post', path: '/queue/generate' },
  { method: 'get', path: '/queue/requests/:id/status' },
  { method: 'get', path: '/queue/requests/:id/status/stream' },
  { method: 'get', path: '/queue/requests/:id' },
  { method: 'put', path: '/queue/requests/:id/cancel' },
  { method: 'get', path: '/files/:key' },
  { method: 'get', path: '/health' },
  { method: 'get', path: '/ready' },
  { method: 'get', path: '/metrics' },
  { method: 'get', path: '/openapi.json' },
  { method: 'get', path: '/docs' },
  { method: 'options', path: '/*' },
] as const
