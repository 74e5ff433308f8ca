import * as z from 'zod/mini';
import { HttpError } from '#shared/errors';

/**
 * The approver's sign-in: besides the signed link, the decision needs a JWT of the API's issuer
 * (the route's JWT authorizer verifies it and requires the approver scope) whose scopes include
 * the approver scope. Checked here too, so the decision never rests on the route's configuration
 * alone. The approver is the token's `sub`; only its keyed hash is ever stored.
 */

/** 401: no verified token reached the function. */
export class ApproverSignInRequiredError extends HttpError {
  override readonly name = 'ApproverSignInRequiredError';
  constructor() {
    super(
      401,
      'APPROVER_SIGN_IN_REQUIRED',
      'Sign in as an approver: the decision needs your access token as well as the link from the email.',
    );
  }
}

/** 403: a verified token without the approver scope. */
export class NotAnApproverError extends HttpError {
  override readonly name = 'NotAnApproverError';
  constructor(scope: string) {
    super(403, 'NOT_AN_APPROVER', `Your sign-in does not carry the approver scope ${scope}.`);
  }
}

const jwtSchema = z.object({
  requestContext: z.object({
    authorizer: z.object({
      jwt: z.object({
        claims: z.record(z.string(), z.unknown()),
        scopes: z.nullish(z.array(z.string())),
      }),
    }),
  }),
});

/** Scopes of a claim as API Gateway passes it: `"a b"`, or `"[a b]"` for a JSON array. */
function scopesOf(claim: unknown): string[] {
  if (typeof claim !== 'string') return [];
  return claim
    .replace(/^\[(.*)\]$/, '$1')
    .split(' ')
    .filter(Boolean);
}

/** The signed-in approver's id (`sub`); throws the 401 or 403 that says what is missing. */
export function signedInApprover(event: unknown, approverScope: string): string {
  const parsed = jwtSchema.safeParse(event);
  if (!parsed.success) throw new ApproverSignInRequiredError();
  const { claims, scopes } = parsed.data.requestContext.authorizer.jwt;
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') throw new ApproverSignInRequiredError();
  const granted = [...(scopes ?? []), ...scopesOf(claims.scope), ...scopesOf(claims.scp)];
  if (!granted.includes(approverScope)) throw new NotAnApproverError(approverScope);
  return sub;
}
