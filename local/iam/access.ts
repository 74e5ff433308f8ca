import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RequestContext } from './conditions';
import { type Caller, type EvaluationResult, evaluate } from './evaluate';
import { type AccessDeniedError, accessDeniedError, deniedLogLine } from './messages';
import { authorizationsFor, type ServiceRequest } from './requests';
import { callerOf, type IamModel, type Principal, resourcePoliciesFor } from './roles';

/** What an SDK client signs with. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * Who signed a request: the administrator (local tools, the demo, tests' own assertions), a
 * function's or state machine's role session, or an AWS service acting for the account
 * (S3 notifications and EventBridge rules invoking a function).
 */
export type Identity =
  | { readonly kind: 'admin' }
  | { readonly kind: 'principal'; readonly principal: Principal }
  | { readonly kind: 'service'; readonly service: string };

/** One decision, as tests and the console record them. */
export interface AuthorizationRecord {
  readonly identity: Identity;
  readonly action: string;
  readonly resource: string;
  readonly decision: EvaluationResult['decision'];
}

export type AccessDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly action: string;
      readonly resource: string;
      readonly result: EvaluationResult;
      /** The error the service answers with (code, HTTP status, message naming principal, action and resource). */
      readonly error: AccessDeniedError;
      /** The runtime's log line: who was refused what, and the statement that is missing or denied. */
      readonly logLine: string;
    };

export interface AccessControlOptions {
  readonly model: IamModel;
  /** false (`--iam off`): every signed call is allowed; signatures are still verified. */
  readonly enforce: boolean;
  /** The administrator's key: allowed everything. */
  readonly admin: Credentials;
  /**
   * Where the secret the role sessions' keys derive from is kept, so presigned URLs a function
   * made stay valid across a restart (as they do on AWS until they expire). Created on first use.
   */
  readonly seedFile: string;
  readonly log?: (line: string) => void;
  readonly onAuthorization?: (record: AuthorizationRecord) => void;
}

/**
 * What a local service needs of the runtime's AccessControl: who an access key belongs to, and
 * whether that identity may make a call (`enforce` is false with `--iam off`).
 */
export type ServiceAccess = Pick<AccessControl, 'enforce' | 'lookup' | 'authorize'>;

/** Which principal an access key belongs to: ASIA + 16 characters of the role session's hash. */
function accessKeyIdOf(principal: Principal): string {
  const digest = createHash('sha256').update(principal.sessionArn).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = 'ASIA';
  for (let index = 0; index < 16; index++) id += alphabet[(digest[index] as number) % 32];
  return id;
}

function readOrCreateSeed(file: string): Buffer {
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  const seed = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${seed.toString('base64')}\n`, { mode: 0o600 });
  return seed;
}

/**
 * IAM for the local runtime: the credentials each role session signs with, who an access key
 * belongs to (for signature checks), and whether an identity may make a request.
 */
export class AccessControl {
  readonly enforce: boolean;
  readonly model: IamModel;
  private readonly seed: Buffer;
  private readonly byAccessKey = new Map<string, { credentials: Credentials; identity: Identity }>();
  private readonly byPrincipal = new Map<Principal, Credentials>();

  constructor(private readonly options: AccessControlOptions) {
    this.enforce = options.enforce;
    this.model = options.model;
    this.seed = readOrCreateSeed(options.seedFile);
    this.byAccessKey.set(options.admin.accessKeyId, {
      credentials: options.admin,
      identity: { kind: 'admin' },
    });
    for (const principal of options.model.principals) {
      const accessKeyId = accessKeyIdOf(principal);
      const derive = (purpose: string) =>
        createHmac('sha256', this.seed).update(`${purpose}:${principal.sessionArn}`).digest('base64');
      const credentials: Credentials = {
        accessKeyId,
        secretAccessKey: derive('secret').slice(0, 40),
        sessionToken: derive('session'),
      };
      this.byPrincipal.set(principal, credentials);
      this.byAccessKey.set(accessKeyId, { credentials, identity: { kind: 'principal', principal } });
    }
  }

  /** The credentials a principal's calls are signed with (a function's environment gets these). */
  credentialsFor(principal: Principal): Credentials {
    const credentials = this.byPrincipal.get(principal);
    if (!credentials)
      throw new Error(`no credentials for ${principal.kind} ${principal.name}: not in the IAM model`);
    return credentials;
  }

  /** A principal by kind and name (function name, state machine name, rule target id). */
  principal(kind: Principal['kind'], name: string): Principal | undefined {
    return this.model.principals.find((candidate) => candidate.kind === kind && candidate.name === name);
  }

  /** The key and identity behind an access key id, or undefined for a key nobody was given. */
  lookup(
    accessKeyId: string,
  ): { readonly credentials: Credentials; readonly identity: Identity } | undefined {
    return this.byAccessKey.get(accessKeyId);
  }

  /**
   * Whether an AWS service (S3 for notifications, EventBridge for rules, API Gateway for routes)
   * may invoke a function for a source: the function's resource-based policy (the Lambda
   * permissions SAM adds for its events) must allow the service with this `aws:SourceArn` and
   * `aws:SourceAccount`.
   */
  serviceMayInvoke(
    service: string,
    functionArn: string,
    sourceArn: string,
    where: { readonly region: string; readonly accountId: string },
  ): AccessDecision {
    return this.authorize(
      { kind: 'service', service },
      { service: 'lambda', operation: 'Invoke', params: { FunctionName: functionArn }, ...where },
      { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': where.accountId },
    );
  }

  /**
   * Whether `identity` may make `request`. The administrator may do anything; with enforcement
   * off everything is allowed (each decision is still recorded). A refusal is logged with the
   * statement that is missing. `context` adds global condition keys the service knows
   * (`aws:SecureTransport`, `aws:SourceArn`, `aws:SourceAccount`, …).
   */
  authorize(identity: Identity, request: ServiceRequest, context: RequestContext = {}): AccessDecision {
    if (identity.kind === 'admin') return { allowed: true };
    const who = identity.kind === 'principal' ? identity.principal : { service: identity.service };
    const decision = authorize(this.model, who, request, context, {
      onEach: (action, resource, result) =>
        this.options.onAuthorization?.({ identity, action, resource, decision: result.decision }),
      stopAtRefusal: this.enforce,
    });
    if (!decision.allowed) {
      if (!this.enforce) return { allowed: true };
      this.options.log?.(decision.logLine);
    }
    return decision;
  }
}

/**
 * Whether a role session (`principal`) or an AWS service may make `request`: every authorization
 * the request needs is evaluated against the caller's policies and the resource's policies; the
 * first refused one is returned with the service's error and a log line. `context` adds global
 * condition keys (`aws:SecureTransport`, `aws:SourceIp`, `aws:SourceArn`, …) the caller knows.
 * `onEach` sees every decision; with `stopAtRefusal: false` the rest are still evaluated.
 */
export function authorize(
  model: IamModel,
  who: Principal | { readonly service: string },
  request: ServiceRequest,
  context: RequestContext = {},
  options: {
    readonly onEach?: (action: string, resource: string, result: EvaluationResult) => void;
    readonly stopAtRefusal?: boolean;
  } = {},
): AccessDecision {
  const caller: Caller = 'service' in who ? { kind: 'service', service: who.service } : callerOf(who);
  let refusal: AccessDecision | undefined;
  for (const authorization of authorizationsFor(request)) {
    const result = evaluate({
      caller,
      action: authorization.action,
      resource: authorization.resource,
      context: { ...context, ...authorization.context },
      resourcePolicies: resourcePoliciesFor(model, authorization.resource),
    });
    options.onEach?.(authorization.action, authorization.resource, result);
    if (result.decision === 'Allow' || refusal) continue;
    const service = authorization.action.slice(0, authorization.action.indexOf(':'));
    refusal = {
      allowed: false,
      action: authorization.action,
      resource: authorization.resource,
      result,
      error: accessDeniedError(
        request.service === 'rekognition' ? 'rekognition' : service,
        'service' in who ? who.service : who.sessionArn,
        authorization.action,
        authorization.resource,
        result,
      ),
      logLine: deniedLogLine(
        'service' in who ? who.service : `${who.kind} ${who.name}`,
        authorization.action,
        authorization.resource,
        result,
      ),
    };
    if (options.stopAtRefusal !== false) return refusal;
  }
  return refusal ?? { allowed: true };
}
