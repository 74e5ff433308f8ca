import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { ServiceError } from './errors';
import {
  JSON_CONTENT_TYPE,
  type JsonObject,
  type JsonOperationHandler,
  renderJsonError,
} from './json-protocol';
import {
  parseQueryParams,
  type QueryActionHandler,
  type QueryParams,
  renderQueryError,
  renderQueryResult,
} from './query-protocol';
import { createRekognitionHandler, type ReadObject } from './rekognition';
import { createSecretsManagerHandler, type SecretDeclaration } from './secrets';
import { createSesHandler, SES_XML_NAMESPACE } from './ses';
import { createSnsHandler, SNS_XML_NAMESPACE, type TopicDeclaration } from './sns';
import { createSsmHandler, type ParameterDeclaration } from './ssm';
import type { VisionEngine } from './vision';

/**
 * One node:http request listener for the SES, SNS, Secrets Manager, SSM and Rekognition stand-ins.
 * awsJson1_1 requests are routed by their X-Amz-Target prefix; awsQuery requests (SES, SNS) by
 * their Version parameter, falling back to the SigV4 credential scope and the action name.
 * Signatures and IAM are checked in front of it (guard.ts).
 */

export interface ServicesOptions {
  dataDir: string;
  region: string;
  accountId: string;
  topics: TopicDeclaration[];
  secrets: SecretDeclaration[];
  parameters: ParameterDeclaration[];
  vision: VisionEngine;
  log: (line: string) => void;
  /** Reads S3 objects for Rekognition `Image.S3Object`. */
  readObject?: ReadObject;
  /** SES sandbox mode: only these addresses or domains may send. Omit to accept every sender. */
  verifiedIdentities?: string[];
}

export type ServiceName = 'ses' | 'sns' | 'secretsmanager' | 'ssm' | 'rekognition';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const JSON_TARGET_PREFIXES: Record<string, ServiceName> = {
  RekognitionService: 'rekognition',
  secretsmanager: 'secretsmanager',
  AmazonSSM: 'ssm',
};

const QUERY_VERSIONS: Record<string, 'ses' | 'sns'> = {
  '2010-12-01': 'ses',
  '2010-03-31': 'sns',
};

const QUERY_ACTIONS: Record<string, 'ses' | 'sns'> = {
  SendEmail: 'ses',
  SendRawEmail: 'ses',
  Publish: 'sns',
};

const SIGNING_NAMES: Record<string, ServiceName> = {
  ses: 'ses',
  email: 'ses',
  sns: 'sns',
  secretsmanager: 'secretsmanager',
  ssm: 'ssm',
  rekognition: 'rekognition',
};

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Which of these services a request is for, judged from headers alone (X-Amz-Target, or the SigV4
 * credential scope of the Authorization header); undefined when it is for none of them.
 * Lets a runtime that shares one port decide whether to hand a request to this listener.
 */
export function identifyService(headers: IncomingHttpHeaders): ServiceName | undefined {
  const target = headerValue(headers['x-amz-target']);
  if (target) return JSON_TARGET_PREFIXES[target.split('.')[0] ?? ''];
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(
    headerValue(headers.authorization) ?? '',
  );
  return scope?.[1] ? SIGNING_NAMES[scope[1]] : undefined;
}

export function createServicesHandler(options: ServicesOptions): RequestListener {
  const jsonHandlers: Record<string, JsonOperationHandler> = {
    rekognition: createRekognitionHandler({ vision: options.vision, readObject: options.readObject }),
    secretsmanager: createSecretsManagerHandler({ dataDir: options.dataDir, secrets: options.secrets }),
    ssm: createSsmHandler(options),
  };
  const queryHandlers: Record<'ses' | 'sns', { handle: QueryActionHandler; xmlNamespace: string }> = {
    ses: { handle: createSesHandler(options), xmlNamespace: SES_XML_NAMESPACE },
    sns: { handle: createSnsHandler(options), xmlNamespace: SNS_XML_NAMESPACE },
  };

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const body = await readBody(req);
    if (body === undefined) {
      send(res, 413, 'text/plain', 'Request body too large', requestId);
      return;
    }
    const target = headerValue(req.headers['x-amz-target']);
    if (target) {
      await answerJson(target, body, requestId, res);
    } else {
      await answerQuery(req, body, requestId, res);
    }
  };

  const answerJson = async (target: string, body: Buffer, requestId: string, res: ServerResponse) => {
    const [prefix = '', operation = ''] = target.split('.');
    const service = JSON_TARGET_PREFIXES[prefix];
    try {
      const handler = service && jsonHandlers[service];
      if (!handler) throw new ServiceError('UnknownOperationException', `Unknown target ${target}`);
      const result = await handler(operation, parseJsonInput(body));
      send(res, 200, JSON_CONTENT_TYPE, JSON.stringify(result), requestId);
    } catch (error) {
      const serviceError = toServiceError(error, 'InternalServerError', target);
      send(res, serviceError.statusCode, JSON_CONTENT_TYPE, renderJsonError(serviceError), requestId, {
        'x-amzn-errortype': serviceError.code,
      });
    }
  };

  const answerQuery = async (req: IncomingMessage, body: Buffer, requestId: string, res: ServerResponse) => {
    const params = parseQueryParams(
      body.toString('utf8'),
      new URL(req.url ?? '/', 'http://localhost').search,
    );
    const action = params.get('Action') ?? '';
    const service = queryServiceOf(params, req.headers);
    const xmlNamespace = service ? queryHandlers[service].xmlNamespace : SNS_XML_NAMESPACE;
    try {
      if (!service)
        throw new ServiceError(
          'InvalidAction',
          `The action ${action || '(none)'} is not valid for this web service.`,
        );
      const result = await queryHandlers[service].handle(action, params);
      send(res, 200, 'text/xml', renderQueryResult(action, xmlNamespace, result, requestId), requestId);
    } catch (error) {
      const serviceError = toServiceError(error, 'InternalFailure', `${service ?? 'query'}.${action}`);
      send(
        res,
        serviceError.statusCode,
        'text/xml',
        renderQueryError(xmlNamespace, serviceError, requestId),
        requestId,
      );
    }
  };

  const toServiceError = (error: unknown, internalCode: string, context: string): ServiceError => {
    if (error instanceof ServiceError) {
      options.log(`[services] ${context} rejected: ${error.code}: ${error.message}`);
      return error;
    }
    options.log(`[services] ${context} failed: ${(error as Error)?.stack ?? String(error)}`);
    return new ServiceError(
      internalCode,
      'The request processing has failed because of an unknown error.',
      500,
    );
  };

  return (req, res) => {
    answer(req, res).catch((error: unknown) => {
      options.log(`[services] request failed: ${(error as Error)?.stack ?? String(error)}`);
      if (!res.headersSent) send(res, 500, 'text/plain', 'Internal error', randomUUID());
      else res.destroy();
    });
  };
}

/**
 * Which query-protocol service (SES or SNS) a form request is for: by its Version parameter, else
 * the SigV4 credential scope, else the action name; undefined for neither.
 */
export function queryServiceOf(params: QueryParams, headers: IncomingHttpHeaders): 'ses' | 'sns' | undefined {
  const byVersion = QUERY_VERSIONS[params.get('Version') ?? ''];
  if (byVersion) return byVersion;
  const byScope = identifyService(headers);
  if (byScope === 'ses' || byScope === 'sns') return byScope;
  return QUERY_ACTIONS[params.get('Action') ?? ''];
}

function parseJsonInput(body: Buffer): JsonObject {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as JsonObject;
}

/** The whole body, or undefined when it is larger than MAX_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  statusCode: number,
  contentType: string,
  body: string,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): void {
  res.writeHead(statusCode, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    ...extraHeaders,
  });
  res.end(body);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
