/** Bucket CORS rules (CloudFormation CorsRules shape) evaluated the way S3 does. */
import { S3RequestError } from './errors';

export interface CfnCorsRule {
  AllowedOrigins: string[];
  AllowedMethods: string[];
  AllowedHeaders?: string[];
  ExposedHeaders?: string[];
  MaxAge?: number;
  Id?: string;
}

export interface CorsRequest {
  origin: string;
  method: string;
  /** Headers a preflight asks for (Access-Control-Request-Headers), lower-cased. */
  requestHeaders: string[];
}

export type ResponseHeaders = Record<string, string>;

/** Matches `value` against a pattern holding at most one `*` wildcard. */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star === -1) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

function matchedOrigin(rule: CfnCorsRule, origin: string): string | undefined {
  return rule.AllowedOrigins.find((allowed) => wildcardMatch(allowed, origin, false));
}

export function findCorsRule(rules: CfnCorsRule[], request: CorsRequest): CfnCorsRule | undefined {
  return rules.find(
    (rule) =>
      matchedOrigin(rule, request.origin) !== undefined &&
      rule.AllowedMethods.includes(request.method) &&
      request.requestHeaders.every((header) =>
        (rule.AllowedHeaders ?? []).some((allowed) => wildcardMatch(allowed, header, true)),
      ),
  );
}

/** The CORS headers S3 sends for a request matching `rule`. */
export function corsHeaders(rule: CfnCorsRule, request: CorsRequest, preflight: boolean): ResponseHeaders {
  const anyOrigin = matchedOrigin(rule, request.origin) === '*';
  const headers: ResponseHeaders = {
    'Access-Control-Allow-Origin': anyOrigin ? '*' : request.origin,
    'Access-Control-Allow-Methods': rule.AllowedMethods.join(', '),
    Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!anyOrigin) headers['Access-Control-Allow-Credentials'] = 'true';
  if (preflight && request.requestHeaders.length > 0) {
    headers['Access-Control-Allow-Headers'] = request.requestHeaders.join(', ');
  }
  if (rule.ExposedHeaders && rule.ExposedHeaders.length > 0) {
    headers['Access-Control-Expose-Headers'] = rule.ExposedHeaders.join(', ');
  }
  if (rule.MaxAge !== undefined) headers['Access-Control-Max-Age'] = String(rule.MaxAge);
  return headers;
}

export function parseRequestedHeaders(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

/** Answers a preflight: the headers to send with a 200, or the S3 error to send instead. */
export function answerPreflight(
  rules: CfnCorsRule[] | undefined,
  origin: string | undefined,
  requestMethod: string | undefined,
  requestHeaders: string | undefined,
): ResponseHeaders {
  if (!origin) {
    throw new S3RequestError('BadRequest', 400, 'Insufficient information. Origin request header needed.');
  }
  if (!requestMethod) {
    throw new S3RequestError('BadRequest', 400, 'Invalid Access-Control-Request-Method: null');
  }
  if (!rules || rules.length === 0) {
    throw new S3RequestError('CORSResponse', 403, 'CORS is not enabled for this bucket.');
  }
  const request: CorsRequest = {
    origin,
    method: requestMethod,
    requestHeaders: parseRequestedHeaders(requestHeaders),
  };
  const rule = findCorsRule(rules, request);
  if (!rule) {
    throw new S3RequestError(
      'CORSResponse',
      403,
      "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    );
  }
  return corsHeaders(rule, request, true);
}

/** CORS headers for an actual (non-preflight) request, empty when no rule matches. */
export function headersForActualRequest(
  rules: CfnCorsRule[] | undefined,
  origin: string | undefined,
  method: string,
): ResponseHeaders {
  if (!origin || !rules) return {};
  const request: CorsRequest = { origin, method, requestHeaders: [] };
  const rule = findCorsRule(rules, request);
  return rule ? corsHeaders(rule, request, false) : {};
}
