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
