import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini ships without messages; load the English ones once so every error is readable.
// Every module that validates imports this one, so the messages are loaded before any parse.
z.config(en());

/** One readable line per problem, with the field it concerns. */
export function describeIssues(error: z.core.$ZodError): Array<{ field: string; message: string }> {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

/** Place ids come from map providers (e.g. Google place ids): letters, digits, `-` and `_`. */
export const placeIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1-128 letters, digits, "-" or "_"'));

/** Upload ids are UUIDv7 (time-ordered), made by the upload ticket function. */
export const uploadIdSchema = z
  .string()
  .check(
    z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'must be an upload id'),
  );
