/**
 * How `npm start` prints a function's output: a Powertools JSON line (`Fn | {"level":"INFO",…}`)
 * becomes `Fn INFO message key=value …` with the keys that matter when following a request; other
 * lines pass unchanged. `--json-logs` keeps the JSON as the function wrote it.
 */
const SHOWN_KEYS = [
  'uploadId',
  'erasureRequestId',
  'approvalId',
  'requestId',
  'route',
  'reason',
  'error',
] as const;

/** Keys Powertools adds to every line that the prefix or the rest of the line already says. */
const HIDDEN_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'function_name',
  'function_arn',
  'function_memory_size',
  'function_request_id',
  'cold_start',
  'xray_trace_id',
  'sampling_rate',
]);

export function readableLogLine(line: string): string {
  const match = /^(\S+) \| (\{.*\})$/.exec(line);
  if (!match) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(match[2] as string) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry.level !== 'string' || typeof entry.message !== 'string') return line;
  const request =
    typeof entry.function_request_id === 'string' ? entry.function_request_id.slice(0, 8) : undefined;
  const facts: string[] = [];
  for (const key of SHOWN_KEYS) if (entry[key] !== undefined) facts.push(`${key}=${text(entry[key])}`);
  for (const [key, value] of Object.entries(entry)) {
    if (!HIDDEN_KEYS.has(key) && !(SHOWN_KEYS as readonly string[]).includes(key))
      facts.push(`${key}=${text(value)}`);
  }
  const cold = entry.cold_start === true ? ' (cold start)' : '';
  return `${match[1]} ${entry.level} ${entry.message}${cold}${request ? ` [${request}]` : ''}${facts.length > 0 ? ` ${facts.join(' ')}` : ''}`;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
