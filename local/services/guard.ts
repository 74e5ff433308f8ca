/**
 * The IAM front of the local services other than S3 (DynamoDB, EventBridge, Step Functions, SES,
 * SNS, Secrets Manager, SSM, Rekognition, CloudFront): every request's SigV4 signature is verified
 * against the keys AccessControl knows, the call is read into the SDK's shape (one way per wire
 * protocol: awsJson, awsQuery, CloudFront's REST-XML) and authorized for the signer; a refusal is
 * answered as the service answers it. Accepted requests go on to the service with their body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  accessDeniedShape,
  IamPolicyError,
  type Identity,
  type RequestContext,
  type ServiceAccess,
  type ServiceRequest,
} from '../iam';
import { cloudFrontDistributionId, isCloudFrontRequest } from './cloudfront';
import { ServiceError } from './errors';
import { parseQueryParams, type QueryParams, renderQueryError } from './query-protocol';
import { queryServiceOf, type RequestListener } from './router';
import { SES_XML_NAMESPACE } from './ses';
import { SignatureError, type SignatureProblem, verifySignature } from './signature';
import { SNS_XML_NAMESPACE } from './sns';

export interface GuardOptions {
  access: ServiceAccess;
  region: string;
  accountId: string;
  /**
   * Facts only the runtime knows: the state machine a task token belongs to, the ARN of a secret
   * named by name (see ServiceRequest.facts).
   */
  facts?: (request: ServiceRequest) => ServiceRequest['facts'];
  log: (line: string) => void;
}

/** A request listener that gets the body already read. */
export type BodyListener = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

type Protocol = { kind: 'json'; contentType: string } | { kind: 'xml'; xmlNamespace: string };

/** A request as the guard reads it; `request` is undefined for a call no service here serves. */
interface Call {
  protocol: Protocol;
  request?: ServiceRequest;
}

const JSON_1_0 = 'application/x-amz-json-1.0';
const JSON_1_1 = 'application/x-amz-json-1.1';
/** awsJson X-Amz-Target prefixes → the service's signing name (IAM prefix) and content type. */
const JSON_TARGETS: Readonly<Record<string, { service: string; contentType: string }>> = {
  DynamoDB_20120810: { service: 'dynamodb', contentType: JSON_1_0 },
  AWSStepFunctions: { service: 'states', contentType: JSON_1_0 },
  AWSEvents: { service: 'events', contentType: JSON_1_1 },
  RekognitionService: { service: 'rekognition', contentType: JSON_1_1 },
  secretsmanager: { service: 'secretsmanager', contentType: JSON_1_1 },
  AmazonSSM: { service: 'ssm', contentType: JSON_1_1 },
};
const CLOUDFRONT_XML_NAMESPACE = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
const MAX_BODY_BYTES = 32 * 1024 * 1024;

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';
/**
 * How the services refuse a signature. awsJson services (DynamoDB, Step Functions, …) answer 400
 * with MissingAuthenticationTokenException, UnrecognizedClientException (unknown key or session
 * token) and InvalidSignatureException; awsQuery and REST-XML services (SES, SNS, CloudFront) the
 * common errors MissingAuthenticationToken (403), InvalidClientTokenId (403), SignatureDoesNotMatch
 * (403) and IncompleteSignature (400); a malformed header is IncompleteSignatureException (400)
 * in awsJson. (Codes and statuses from the AWS common-errors pages and errors services returned,
 * as quoted in public SDK issues.)
 */
const SIGNATURE_ERRORS: Record<Protocol['kind'], Record<SignatureProblem, [string, number, string?]>> = {
  json: {
    missing: ['MissingAuthenticationTokenException', 400, 'Request is missing Authentication Token'],
    incomplete: ['IncompleteSignatureException', 400],
    'unknown-key': ['UnrecognizedClientException', 400, INVALID_TOKEN],
    mismatch: ['InvalidSignatureException', 400, MISMATCH],
  },
  xml: {
    missing: [
      'MissingAuthenticationToken',
      403,
      'Request must contain either a valid (registered) AWS access key ID or X.509 certificate.',
    ],
    incomplete: ['IncompleteSignature', 400],
    'unknown-key': ['InvalidClientTokenId', 403, INVALID_TOKEN],
    mismatch: ['SignatureDoesNotMatch', 403, MISMATCH],
  },
};

/**
 * `Destination.ToAddresses.member.1` → `{ Destination: { ToAddresses: [ … ] } }`: awsQuery
 * parameters in the SDK's shape (lists from `.member.N`; maps keep their `.entry.N` form).
 */
export function queryParamsToShape(params: QueryParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of params) {
    if (name === 'Action' || name === 'Version') continue;
    const path: Array<string | number> = [];
    const parts = name.split('.');
    for (let index = 0; index < parts.length; index++) {
      const part = parts[index] as string;
      if (part === 'member' && /^\d+$/.test(parts[index + 1] ?? '')) {
        path.push(Number(parts[++index]) - 1);
      } else path.push(part);
    }
    let node: Record<string | number, unknown> = root;
    path.forEach((key, index) => {
      if (index === path.length - 1) node[key] = value;
      else {
        node[key] ??= typeof path[index + 1] === 'number' ? [] : {};
        node = node[key] as Record<string | number, unknown>;
      }
    });
  }
  return root;
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Which service and operation a request is, with its parameters in the SDK's shape. */
function readCall(
  request: IncomingMessage,
  body: Buffer,
  where: { region: string; accountId: string },
): Call {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix = '', operation = ''] = target.split('.');
    const known = JSON_TARGETS[prefix];
    const protocol = { kind: 'json', contentType: known?.contentType ?? JSON_1_1 } as const;
    const params = parseJson(body);
    // A malformed body or an unknown target: the service answers it (SerializationException, …).
    if (!known || !params) return { protocol };
    return { protocol, request: { service: known.service, operation, params, ...where } };
  }
  if (isCloudFrontRequest(request)) {
    const protocol = { kind: 'xml', xmlNamespace: CLOUDFRONT_XML_NAMESPACE } as const;
    if (request.method !== 'POST') return { protocol };
    return {
      protocol,
      request: {
        service: 'cloudfront',
        operation: 'CreateInvalidation',
        params: { DistributionId: cloudFrontDistributionId(request) },
        ...where,
      },
    };
  }
  const params = parseQueryParams(body.toString('utf8'), new URL(request.url ?? '/', 'http://local').search);
  const service = queryServiceOf(params, request.headers);
  const protocol = {
    kind: 'xml',
    xmlNamespace: service === 'ses' ? SES_XML_NAMESPACE : SNS_XML_NAMESPACE,
  } as const;
  if (!service) return { protocol };
  return {
    protocol,
    request: { service, operation: params.get('Action') ?? '', params: queryParamsToShape(params), ...where },
  };
}

function sendError(
  response: ServerResponse,
  protocol: Protocol,
  error: { code: string; statusCode: number; message: string },
): void {
  const requestId = randomUUID();
  const body =
    protocol.kind === 'json'
      ? JSON.stringify({ __type: error.code, message: error.message })
      : renderQueryError(
          protocol.xmlNamespace,
          new ServiceError(error.code, error.message, error.statusCode),
          requestId,
        );
  response.writeHead(error.statusCode, {
    'content-type': protocol.kind === 'json' ? protocol.contentType : 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    ...(protocol.kind === 'json' ? { 'x-amzn-errortype': error.code } : {}),
  });
  response.end(body);
}

/**
 * A task token or a secret name the runtime does not know: the service answers it as AWS does
 * for a token or secret that does not exist (InvalidToken, TaskDoesNotExist, TaskTimedOut,
 * ResourceNotFoundException), without an IAM check, as there is no resource to check against.
 */
function namesUnknownResource(request: ServiceRequest): boolean {
  if (request.service === 'states' && request.operation.startsWith('SendTask'))
    return request.facts?.taskStateMachineArn === undefined;
  if (request.service === 'secretsmanager')
    return (
      request.facts?.secretArn === undefined &&
      !/^arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:.+-[A-Za-z0-9]{6}$/.test(String(request.params.SecretId))
    );
  return false;
}

/** The refusal of a call, or undefined when the signer may make it. */
function authorizeCall(
  options: GuardOptions,
  identity: Identity,
  call: ServiceRequest,
  sourceIp: string,
): { code: string; statusCode: number; message: string } | undefined {
  const facts = options.facts?.(call);
  const request: ServiceRequest = facts ? { ...call, facts } : call;
  if (namesUnknownResource(request)) return undefined;
  // The SDK reaches these services over HTTPS on AWS: a local call counts as TLS.
  const context: RequestContext = { 'aws:SecureTransport': 'true', 'aws:SourceIp': sourceIp };
  try {
    const decision = options.access.authorize(identity, request, context);
    return decision.allowed ? undefined : decision.error;
  } catch (error) {
    if (!(error instanceof IamPolicyError)) throw error;
    options.log(`IAM: ${error.message}`);
    if (!options.access.enforce) return undefined;
    return {
      ...accessDeniedShape(request.service),
      message: `The local IAM cannot authorize this call: ${error.message}`,
    };
  }
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** A listener that verifies and authorizes every request before `next` answers it. */
export function guarded(options: GuardOptions, next: BodyListener): RequestListener {
  const where = { region: options.region, accountId: options.accountId };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    if (body === undefined) {
      response.writeHead(413, { 'content-type': 'text/plain' }).end('Request body too large');
      return;
    }
    const call = readCall(request, body, where);
    const url = new URL(request.url ?? '/', 'http://local');
    let identity: Identity;
    try {
      ({ identity } = await verifySignature(
        {
          method: request.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: request.headers,
          body,
        },
        options.access,
      ));
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      const [code, statusCode, message = error.message] = SIGNATURE_ERRORS[call.protocol.kind][error.problem];
      options.log(
        `services: ${call.request?.service ?? 'request'} ${call.request?.operation ?? ''} refused: ${code}: ${error.message}`,
      );
      sendError(response, call.protocol, { code, statusCode, message });
      return;
    }
    const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const refusal = call.request && authorizeCall(options, identity, call.request, sourceIp);
    if (refusal) {
      sendError(response, call.protocol, refusal);
      return;
    }
    next(request, response, body);
  };
  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log(`services: guard failed: ${(error as Error)?.stack ?? String(error)}`);
      if (!response.headersSent)
        response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error');
      else response.destroy();
    });
  };
}

/** A listener that reads the body itself, given a request whose body was already read. */
export function replayed(listener: RequestListener): BodyListener {
  return (request, response, body) => {
    const replay = Readable.from(body.length > 0 ? [body] : []);
    Object.assign(replay, {
      method: request.method,
      url: request.url,
      headers: request.headers,
      rawHeaders: request.rawHeaders,
      httpVersion: request.httpVersion,
      socket: request.socket,
    });
    listener(replay as unknown as IncomingMessage, response);
  };
}

/** Puts the guard in front of a server's own request listeners (dynalite's). */
export function guardServer(server: Server, options: GuardOptions): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on(
    'request',
    guarded(
      options,
      replayed((request, response) => {
        for (const listener of listeners) listener.call(server, request, response);
      }),
    ),
  );
}

/**
 * The facts the runtime knows: the state machine a task token's execution belongs to, and the
 * ARN of a secret its template declares, named by name or partial ARN.
 */
export function runtimeFacts(sources: {
  stateMachineOfTaskToken: (taskToken: string) => string | undefined;
  secrets: ReadonlyArray<{ arn: string; name: string }>;
}): NonNullable<GuardOptions['facts']> {
  return (request) => {
    if (request.service === 'states' && request.operation.startsWith('SendTask')) {
      const token = request.params.taskToken;
      const owner = typeof token === 'string' ? sources.stateMachineOfTaskToken(token) : undefined;
      return owner ? { taskStateMachineArn: owner } : undefined;
    }
    if (request.service === 'secretsmanager') {
      const id = String(request.params.SecretId ?? '');
      const secret = sources.secrets.find(
        (candidate) => candidate.arn === id || candidate.name === id || candidate.arn.startsWith(`${id}-`),
      );
      return secret ? { secretArn: secret.arn } : undefined;
    }
    return undefined;
  };
}
