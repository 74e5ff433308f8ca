import { escapeXml } from '../xml';
import { ServiceError } from './errors';

/**
 * The awsQuery protocol (SES v1, SNS): form-encoded `Action=...&Version=...` requests,
 * XML responses wrapped in `<ActionResponse><ActionResult>`, errors in `<ErrorResponse>`.
 */

/** Flat request parameters, keyed by their dotted query names (e.g. `Destination.ToAddresses.member.1`). */
export type QueryParams = ReadonlyMap<string, string>;

/** Flat result members rendered inside `<ActionResult>`; undefined members are left out. */
export type QueryResult = Record<string, string | undefined>;

export type QueryActionHandler = (action: string, params: QueryParams) => Promise<QueryResult>;

export function parseQueryParams(formBody: string, urlQuery = ''): QueryParams {
  const params = new Map<string, string>();
  for (const source of [urlQuery, formBody]) {
    for (const [key, value] of new URLSearchParams(source)) params.set(key, value);
  }
  return params;
}

/** Values of a query list (`Prefix.member.1`, `Prefix.member.2`, ...) in index order. */
export function readMemberList(params: QueryParams, prefix: string): string[] {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.member\\.(\\d+)$`);
  const indexed: Array<[number, string]> = [];
  for (const [key, value] of params) {
    const match = pattern.exec(key);
    if (match?.[1]) indexed.push([Number(match[1]), value]);
  }
  return indexed.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

/**
 * Entries of a query map (`Prefix.entry.N.Name` / `Prefix.entry.N.Value[.Field]`), each as its
 * name plus the parameters found under its value, keyed relative to `Value` ('' for a scalar value).
 */
export function readEntryMap(params: QueryParams, prefix: string): Map<string, Map<string, string>> {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.entry\\.(\\d+)\\.(Name|Value)(?:\\.(.+))?$`);
  const names = new Map<number, string>();
  const values = new Map<number, Map<string, string>>();
  for (const [key, value] of params) {
    const match = pattern.exec(key);
    if (!match) continue;
    const index = Number(match[1]);
    if (match[2] === 'Name') {
      names.set(index, value);
    } else {
      const fields = values.get(index) ?? new Map<string, string>();
      fields.set(match[3] ?? '', value);
      values.set(index, fields);
    }
  }
  const entries = new Map<string, Map<string, string>>();
  for (const index of [...names.keys()].sort((a, b) => a - b)) {
    entries.set(names.get(index) ?? '', values.get(index) ?? new Map());
  }
  return entries;
}

export function requireParam(params: QueryParams, name: string, code = 'MissingParameter'): string {
  const value = params.get(name);
  if (value === undefined || value === '') {
    throw new ServiceError(code, `A required parameter ${name} is missing.`);
  }
  return value;
}

export function renderQueryResult(
  action: string,
  xmlNamespace: string,
  result: QueryResult,
  requestId: string,
): string {
  const members = Object.entries(result)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${action}Response xmlns="${xmlNamespace}">` +
    `<${action}Result>${members}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</${action}Response>`
  );
}

export function renderQueryError(xmlNamespace: string, error: ServiceError, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ErrorResponse xmlns="${xmlNamespace}">` +
    `<Error><Type>${error.fault}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId>` +
    `</ErrorResponse>`
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
