import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiEvent } from '#shared/http';

const root = join(__dirname, '..', '..');

/** A fresh copy of an event fixture from events/ (the same files `sam local invoke -e` uses). */
export function fixture<T = unknown>(relativePath: string): T {
  return structuredClone(JSON.parse(readFileSync(join(root, 'events', relativePath), 'utf8'))) as T;
}

export function apiFixture(relativePath: string): ApiEvent {
  return fixture<ApiEvent>(relativePath);
}

/** Parses a handler's JSON response body. */
export function body(result: { body?: string }): Record<string, unknown> {
  return JSON.parse(result.body ?? 'null') as Record<string, unknown>;
}
