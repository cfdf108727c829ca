/**
 * The host (`name[:port]`) and origin of a request's URL, read from the string: a `Request`'s `url` is already in
 * the WHATWG serialisation (lower-case scheme and host, no default port, no credentials, a path from the first `/`
 * after the host), so they are the same as `new URL(url).host` and `.origin`, without parsing it once more per
 * request. Anything but an absolute http(s) URL goes through `URL`.
 * @example urlParts('http://localhost:8787/generate') // { host: 'localhost:8787', origin: 'http://localhost:8787' }
 */
export function urlParts(url: string): { host: string; origin: string } {
  const start = url.startsWith('http://') ? 7 : url.startsWith('https://') ? 8 : -1
  const end = start < 0 ? -1 : url.indexOf('/', start)
  if (end < 0) {
    const { host, origin } = new URL(url)
    return { host, origin }
  }
  return { host: url.slice(start, end), origin: url.slice(0, end) }
}
