import type * as z from 'zod/mini';
import { describeIssues } from './validation';

/** A workflow task was given input that does not match its contract (functions/workflow/workflow.ts, functions/gdpr/erasure.ts). */
export class InvalidTaskInputError extends Error {
  override readonly name = 'InvalidTaskInputError';
}

/**
 * Validates a workflow task's input. A mismatch means the ASL and the function disagree, so it
 * fails the task with every problem named (Step Functions records it; retrying cannot help).
 */
export function parseTaskInput<S extends z.ZodMiniType>(schema: S, event: unknown): z.infer<S> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error)
      .map((issue) => `${issue.field}: ${issue.message}`)
      .join('; ');
    throw new InvalidTaskInputError(`Invalid task input: ${problems}`);
  }
  return parsed.data;
}
