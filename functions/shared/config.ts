import * as z from 'zod/mini';
import { ConfigError } from './errors';
import { describeIssues } from './validation';

/**
 * Reads and validates environment variables once, at cold start. A missing or malformed
 * variable throws a ConfigError naming every problem, so a misconfigured stack fails loudly
 * on its first invocation instead of misbehaving later.
 */
export function readConfig<S extends z.ZodMiniType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error)
      .map((issue) => `${issue.field}: ${issue.message}`)
      .join('; ');
    throw new ConfigError(`Invalid environment configuration: ${problems}`);
  }
  return parsed.data;
}

export const nonEmpty = z.string().check(z.minLength(1));

/** A positive whole number given as a string, with an optional upper bound. */
export function positiveInt(max = Number.MAX_SAFE_INTEGER) {
  return z.pipe(
    z.string().check(z.regex(/^\d+$/, 'must be a whole number')),
    z.pipe(
      z.transform((value: string) => Number(value)),
      z.number().check(z.gte(1), z.lte(max)),
    ),
  );
}

/** An absolute http(s) URL without a trailing slash, e.g. the CloudFront distribution's. */
export const baseUrl = z.pipe(
  z.string().check(z.regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an absolute http(s) URL')),
  z.transform((value: string) => value.replace(/\/+$/, '')),
);

/** A confidence percentage (0–100, decimals allowed) given as a string. */
export const percentage = z.pipe(
  z.string().check(z.regex(/^\d{1,3}(\.\d+)?$/, 'must be a number from 0 to 100')),
  z.pipe(
    z.transform((value: string) => Number(value)),
    z.number().check(z.gte(0), z.lte(100)),
  ),
);

/** A comma-separated list ("a, b,c" → ["a", "b", "c"]); empty entries dropped. */
export const commaList = z.pipe(
  z.string(),
  z.transform((value: string) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  ),
);

/** Fills in defaults for unset variables before validation: `readConfig(schema, withDefaults({...}))`. */
export function withDefaults(
  defaults: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(defaults)) {
    if (merged[name] === undefined || merged[name] === '') merged[name] = value;
  }
  return merged;
}
