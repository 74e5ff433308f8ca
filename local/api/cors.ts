/**
 * CorsConfiguration of an HTTP API: the API answers preflights itself and adds the configured
 * headers to every other response for an allowed Origin, replacing any the integration set.
 */

export interface CorsConfig {
  /** Exact origins, `*`, or a scheme wildcard such as `https://*`. */
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders?: string[];
  /** Seconds a browser may cache the preflight answer. */
  maxAge?: number;
  allowCredentials?: boolean;
}

function matchesOrigin(pattern: string, origin: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('://*'))
    return origin.startsWith(pattern.slice(0, -1)) && origin.length > pattern.length - 1;
  return pattern.toLowerCase() === origin.toLowerCase();
}

export function isOriginAllowed(config: CorsConfig, origin: string | undefined): origin is string {
  return origin !== undefined && config.allowOrigins.some((pattern) => matchesOrigin(pattern, origin));
}

/** A CORS preflight: OPTIONS with an Origin and an Access-Control-Request-Method. */
export function isPreflight(method: string, headers: Record<string, string>): boolean {
  return method.toUpperCase() === 'OPTIONS' && !!headers.origin && !!headers['access-control-request-method'];
}

function allowOriginValue(config: CorsConfig, origin: string): string {
  return config.allowOrigins.includes('*') && !config.allowCredentials ? '*' : origin;
}

function includesIgnoringCase(list: string[], value: string): boolean {
  return list.includes('*') || list.some((item) => item.toLowerCase() === value.toLowerCase());
}

function requestedHeaders(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((header) => header.trim())
    .filter(Boolean);
}

/** Headers of the API's own preflight answer (status 204); empty when the request is not allowed. */
export function preflightHeaders(
  config: CorsConfig,
  headers: Record<string, string>,
): Record<string, string> {
  const origin = headers.origin;
  const method = headers['access-control-request-method'] ?? '';
  if (!isOriginAllowed(config, origin)) return {};
  if (!includesIgnoringCase(config.allowMethods, method)) return {};
  const wanted = requestedHeaders(headers['access-control-request-headers']);
  if (!wanted.every((header) => includesIgnoringCase(config.allowHeaders, header))) return {};

  const answer: Record<string, string> = {
    'access-control-allow-origin': allowOriginValue(config, origin),
    'access-control-allow-methods': config.allowMethods.join(','),
  };
  if (config.allowHeaders.length > 0) answer['access-control-allow-headers'] = config.allowHeaders.join(',');
  if (config.maxAge !== undefined) answer['access-control-max-age'] = String(config.maxAge);
  if (config.allowCredentials) answer['access-control-allow-credentials'] = 'true';
  return answer;
}

/** Response headers with the integration's CORS headers replaced by the configured ones. */
export function applyCorsHeaders(
  config: CorsConfig,
  requestHeaders: Record<string, string>,
  responseHeaders: Record<string, string>,
): Record<string, string> {
  const headers = Object.fromEntries(
    Object.entries(responseHeaders).filter(([name]) => !name.startsWith('access-control-')),
  );
  const origin = requestHeaders.origin;
  if (!isOriginAllowed(config, origin)) return headers;
  headers['access-control-allow-origin'] = allowOriginValue(config, origin);
  if (config.exposeHeaders && config.exposeHeaders.length > 0) {
    headers['access-control-expose-headers'] = config.exposeHeaders.join(',');
  }
  if (config.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  return headers;
}
