const API_PREFIXES = ['/api/', '/users/', '/user/', '/control/', '/.well-known/'];
const API_EXACT = new Set(['/publickey', '/healthz']);

/**
 * The API's paths (SPEC 3, 5): they always answer JSON (or the key's PEM), and never use the
 * browser session, whose cookie never authenticates an API call.
 */
export function isApiPath(path: string): boolean {
  return API_EXACT.has(path) || API_PREFIXES.some((prefix) => path.startsWith(prefix));
}
