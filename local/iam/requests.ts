import { IamPolicyError, type RequestContext } from './conditions';

/**
 * A parsed API request, as a local service sees it: the service's signing name (`s3`, `dynamodb`,
 * `events`, `states`, `lambda`, `rekognition`, `ses`, `sns`, `secretsmanager`, `ssm`,
 * `cloudfront`), the operation (`GetObject`, `Query`, …) and its parameters in the SDK's shape.
 */
export interface ServiceRequest {
  readonly service: string;
  readonly operation: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly partition?: string;
  readonly region: string;
  readonly accountId: string;
  /**
   * Facts only the service knows: the state machine a task token belongs to (SendTask*), the
   * full ARN of a secret named by name, and the SES identity the sender is verified as.
   */
  readonly facts?: {
    readonly taskStateMachineArn?: string;
    readonly secretArn?: string;
    readonly sesIdentity?: string;
  };
}

/** One authorization AWS makes for a request: every one must be allowed. */
export interface Authorization {
  readonly action: string;
  /** The resource ARN, or `*` for actions that take no resource. */
  readonly resource: string;
  /** Request-specific condition keys (e.g. `s3:prefix`). */
  readonly context?: RequestContext;
}

function text(request: ServiceRequest, name: string): string {
  const value = request.params[name];
  if (typeof value !== 'string' || value === '')
    throw new IamPolicyError(
      `${request.service}:${request.operation} needs a ${name} parameter to be authorized`,
    );
  return value;
}

function optional(request: ServiceRequest, name: string): string | undefined {
  const value = request.params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function arn(
  request: ServiceRequest,
  service: string,
  rest: string,
  scope: 'regional' | 'global' = 'regional',
): string {
  const region = scope === 'regional' ? request.region : '';
  return `arn:${request.partition ?? 'aws'}:${service}:${region}:${request.accountId}:${rest}`;
}

// ------------------------------------------------------------------ S3

function s3Bucket(request: ServiceRequest, bucket: string): string {
  return `arn:${request.partition ?? 'aws'}:s3:::${bucket}`;
}
function s3Object(request: ServiceRequest, bucket: string, key: string): string {
  return `${s3Bucket(request, bucket)}/${key}`;
}

/** An object read: s3:GetObject, or s3:GetObjectVersion when a version is named. */
function s3Read(
  request: ServiceRequest,
  bucket: string,
  key: string,
  versionId: string | undefined,
): Authorization {
  return {
    action: versionId ? 's3:GetObjectVersion' : 's3:GetObject',
    resource: s3Object(request, bucket, key),
  };
}

function listContext(request: ServiceRequest): RequestContext {
  const context: Record<string, string> = {};
  for (const [param, key] of [
    ['Prefix', 's3:prefix'],
    ['Delimiter', 's3:delimiter'],
    ['MaxKeys', 's3:max-keys'],
  ] as const) {
    const value = request.params[param];
    if (value !== undefined) context[key] = String(value);
  }
  return context;
}

const S3: Readonly<Record<string, (request: ServiceRequest) => Authorization[]>> = {
  GetObject: (r) => [s3Read(r, text(r, 'Bucket'), text(r, 'Key'), optional(r, 'VersionId'))],
  // HEAD is authorized as the GET it describes.
  HeadObject: (r) => [s3Read(r, text(r, 'Bucket'), text(r, 'Key'), optional(r, 'VersionId'))],
  PutObject: (r) => [
    { action: 's3:PutObject', resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')) },
    ...(optional(r, 'Tagging')
      ? [{ action: 's3:PutObjectTagging', resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')) }]
      : []),
  ],
  // A browser POST with a presigned policy is authorized as the signer's PutObject.
  PostObject: (r) => [{ action: 's3:PutObject', resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')) }],
  CopyObject: (r) => {
    const source = decodeURIComponent(text(r, 'CopySource').replace(/^\//, ''));
    const [path = '', query = ''] = source.split('?versionId=');
    const slash = path.indexOf('/');
    return [
      s3Read(r, path.slice(0, slash), path.slice(slash + 1), query || undefined),
      { action: 's3:PutObject', resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')) },
    ];
  },
  DeleteObject: (r) => [
    {
      action: optional(r, 'VersionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
      resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')),
    },
  ],
  // One authorization per key; a key named with its version needs s3:DeleteObjectVersion.
  DeleteObjects: (r) => {
    const objects = (r.params.Delete as { Objects?: Array<{ Key?: string; VersionId?: string }> } | undefined)
      ?.Objects;
    if (!Array.isArray(objects) || objects.length === 0)
      throw new IamPolicyError('s3:DeleteObjects needs Delete.Objects to be authorized');
    return objects.map((object) => ({
      action: object.VersionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
      resource: s3Object(r, text(r, 'Bucket'), String(object.Key)),
    }));
  },
  ListObjects: (r) => [
    { action: 's3:ListBucket', resource: s3Bucket(r, text(r, 'Bucket')), context: listContext(r) },
  ],
  ListObjectsV2: (r) => [
    { action: 's3:ListBucket', resource: s3Bucket(r, text(r, 'Bucket')), context: listContext(r) },
  ],
  ListObjectVersions: (r) => [
    { action: 's3:ListBucketVersions', resource: s3Bucket(r, text(r, 'Bucket')), context: listContext(r) },
  ],
  HeadBucket: (r) => [{ action: 's3:ListBucket', resource: s3Bucket(r, text(r, 'Bucket')) }],
  GetBucketLocation: (r) => [{ action: 's3:GetBucketLocation', resource: s3Bucket(r, text(r, 'Bucket')) }],
  // Multipart uploads are authorized as the PutObject they make (lib-storage's Upload uses them).
  CreateMultipartUpload: (r) => [
    { action: 's3:PutObject', resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')) },
  ],
  UploadPart: (r) => [{ action: 's3:PutObject', resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')) }],
  CompleteMultipartUpload: (r) => [
    { action: 's3:PutObject', resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')) },
  ],
  AbortMultipartUpload: (r) => [
    { action: 's3:AbortMultipartUpload', resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')) },
  ],
  PutObjectTagging: (r) => [
    { action: 's3:PutObjectTagging', resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')) },
  ],
  GetBucketVersioning: (r) => [
    { action: 's3:GetBucketVersioning', resource: s3Bucket(r, text(r, 'Bucket')) },
  ],
  ListBuckets: () => [{ action: 's3:ListAllMyBuckets', resource: '*' }],
  GetObjectTagging: (r) => [
    {
      action: optional(r, 'VersionId') ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging',
      resource: s3Object(r, text(r, 'Bucket'), text(r, 'Key')),
    },
  ],
};

// ------------------------------------------------------------------ DynamoDB

function table(request: ServiceRequest, name: string): string {
  return name.startsWith('arn:') ? name : arn(request, 'dynamodb', `table/${name}`);
}

const DYNAMODB_ITEM_ACTIONS = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'DescribeTable'];

function dynamodb(request: ServiceRequest): Authorization[] {
  const op = request.operation;
  if (DYNAMODB_ITEM_ACTIONS.includes(op))
    return [{ action: `dynamodb:${op}`, resource: table(request, text(request, 'TableName')) }];
  if (op === 'Query' || op === 'Scan') {
    const index = optional(request, 'IndexName');
    const base = table(request, text(request, 'TableName'));
    return [{ action: `dynamodb:${op}`, resource: index ? `${base}/index/${index}` : base }];
  }
  if (op === 'BatchWriteItem' || op === 'BatchGetItem') {
    const items = request.params.RequestItems;
    if (typeof items !== 'object' || items === null || Object.keys(items).length === 0)
      throw new IamPolicyError(`dynamodb:${op} needs RequestItems to be authorized`);
    return Object.keys(items).map((name) => ({ action: `dynamodb:${op}`, resource: table(request, name) }));
  }
  if (op === 'TransactWriteItems' || op === 'TransactGetItems') {
    // Transactions are authorized item by item, with the action of each item.
    const actionOf: Record<string, string> = {
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
      Get: 'GetItem',
    };
    return ((request.params.TransactItems ?? []) as Array<Record<string, { TableName?: string }>>).flatMap(
      (item) =>
        Object.entries(item).map(([kind, body]) => ({
          action: `dynamodb:${actionOf[kind] ?? kind}`,
          resource: table(request, String(body.TableName)),
        })),
    );
  }
  throw new IamPolicyError(`dynamodb:${op} has no authorization mapping in local/iam`);
}

// ------------------------------------------------------------------ the JSON and query services

function busArn(request: ServiceRequest, bus: string | undefined): string {
  if (bus?.startsWith('arn:')) return bus;
  return arn(request, 'events', `event-bus/${bus ?? 'default'}`);
}

function functionArn(request: ServiceRequest, name: string, qualifier: string | undefined): string {
  // FunctionName may be a name, a partial ARN (account:function:name) or a full ARN, with a qualifier.
  let base: string;
  if (name.startsWith('arn:')) base = name;
  else if (name.includes(':function:'))
    base = `arn:${request.partition ?? 'aws'}:lambda:${request.region}:${name}`;
  else {
    const [fn, inlineQualifier] = name.split(':');
    base = arn(request, 'lambda', `function:${fn}${inlineQualifier ? `:${inlineQualifier}` : ''}`);
  }
  return qualifier && !/:function:[^:]+:/.test(base) ? `${base}:${qualifier}` : base;
}

function sesIdentity(request: ServiceRequest): string {
  const source = text(request, 'Source');
  const address = /<([^>]+)>/.exec(source)?.[1] ?? source;
  const identity = request.facts?.sesIdentity ?? address;
  return arn(request, 'ses', `identity/${identity}`);
}

function ssmParameter(request: ServiceRequest, name: string): string {
  return name.startsWith('arn:') ? name : arn(request, 'ssm', `parameter/${name.replace(/^\//, '')}`);
}

function secret(request: ServiceRequest): string {
  const id = text(request, 'SecretId');
  if (/^arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:.+-[A-Za-z0-9]{6}$/.test(id)) return id;
  if (request.facts?.secretArn) return request.facts.secretArn;
  throw new IamPolicyError(
    `secretsmanager:${request.operation} on '${id}' needs the secret's full ARN (facts.secretArn)`,
  );
}

const SERVICES: Readonly<Record<string, (request: ServiceRequest) => Authorization[]>> = {
  s3: (r) => {
    const map = S3[r.operation];
    if (!map) throw new IamPolicyError(`s3:${r.operation} has no authorization mapping in local/iam`);
    return map(r);
  },
  dynamodb,
  events: (r) => {
    if (r.operation !== 'PutEvents')
      throw new IamPolicyError(`events:${r.operation} has no authorization mapping in local/iam`);
    const entries = (r.params.Entries ?? []) as Array<{ EventBusName?: string }>;
    const buses = [...new Set(entries.map((entry) => busArn(r, entry.EventBusName)))];
    return buses.map((resource) => ({ action: 'events:PutEvents', resource }));
  },
  states: (r) => {
    switch (r.operation) {
      case 'StartExecution':
      case 'StartSyncExecution':
        return [{ action: `states:${r.operation}`, resource: text(r, 'stateMachineArn') }];
      case 'DescribeExecution':
      case 'StopExecution':
      case 'GetExecutionHistory':
        return [{ action: `states:${r.operation}`, resource: text(r, 'executionArn') }];
      case 'SendTaskSuccess':
      case 'SendTaskFailure':
      case 'SendTaskHeartbeat': {
        // Authorized against the state machine (or activity) the task token belongs to.
        const owner = r.facts?.taskStateMachineArn;
        if (!owner)
          throw new IamPolicyError(
            `states:${r.operation} needs the task token's state machine (facts.taskStateMachineArn)`,
          );
        return [{ action: `states:${r.operation}`, resource: owner }];
      }
      default:
        throw new IamPolicyError(`states:${r.operation} has no authorization mapping in local/iam`);
    }
  },
  lambda: (r) => {
    if (r.operation !== 'Invoke' && r.operation !== 'InvokeAsync')
      throw new IamPolicyError(`lambda:${r.operation} has no authorization mapping in local/iam`);
    return [
      {
        action: 'lambda:InvokeFunction',
        resource: functionArn(r, text(r, 'FunctionName'), optional(r, 'Qualifier')),
      },
    ];
  },
  rekognition: (r) => {
    // Detect* take no resource; an S3 image is read with the caller's own S3 permissions.
    const authorizations: Authorization[] = [{ action: `rekognition:${r.operation}`, resource: '*' }];
    const image = (
      r.params.Image as { S3Object?: { Bucket?: string; Name?: string; Version?: string } } | undefined
    )?.S3Object;
    if (image?.Bucket && image.Name) authorizations.push(s3Read(r, image.Bucket, image.Name, image.Version));
    return authorizations;
  },
  ses: (r) => {
    if (r.operation !== 'SendEmail' && r.operation !== 'SendRawEmail')
      throw new IamPolicyError(`ses:${r.operation} has no authorization mapping in local/iam`);
    const destination = (r.params.Destination ?? {}) as Record<string, string[] | undefined>;
    const recipients = [
      ...(destination.ToAddresses ?? []),
      ...(destination.CcAddresses ?? []),
      ...(destination.BccAddresses ?? []),
    ];
    const from = optional(r, 'Source');
    return [
      {
        action: `ses:${r.operation}`,
        resource: sesIdentity(r),
        context: { ...(from ? { 'ses:FromAddress': from } : {}), 'ses:Recipients': recipients },
      },
    ];
  },
  sns: (r) => {
    if (r.operation !== 'Publish')
      throw new IamPolicyError(`sns:${r.operation} has no authorization mapping in local/iam`);
    return [{ action: 'sns:Publish', resource: optional(r, 'TopicArn') ?? text(r, 'TargetArn') }];
  },
  secretsmanager: (r) => {
    if (r.operation !== 'GetSecretValue' && r.operation !== 'DescribeSecret')
      throw new IamPolicyError(`secretsmanager:${r.operation} has no authorization mapping in local/iam`);
    return [{ action: `secretsmanager:${r.operation}`, resource: secret(r) }];
  },
  ssm: (r) => {
    switch (r.operation) {
      case 'GetParameter':
        return [{ action: 'ssm:GetParameter', resource: ssmParameter(r, text(r, 'Name')) }];
      case 'GetParameters':
        return ((r.params.Names ?? []) as string[]).map((name) => ({
          action: 'ssm:GetParameters',
          resource: ssmParameter(r, name),
        }));
      case 'GetParametersByPath':
        return [{ action: 'ssm:GetParametersByPath', resource: ssmParameter(r, text(r, 'Path')) }];
      default:
        throw new IamPolicyError(`ssm:${r.operation} has no authorization mapping in local/iam`);
    }
  },
  cloudfront: (r) => {
    if (r.operation !== 'CreateInvalidation')
      throw new IamPolicyError(`cloudfront:${r.operation} has no authorization mapping in local/iam`);
    return [
      {
        action: 'cloudfront:CreateInvalidation',
        resource: arn(r, 'cloudfront', `distribution/${text(r, 'DistributionId')}`, 'global'),
      },
    ];
  },
};

/**
 * The IAM authorizations AWS makes for a request: the action(s) and resource ARN(s) the Service
 * Authorization Reference gives the operation, with the variants S3 chooses by parameters
 * (a VersionId makes GetObject s3:GetObjectVersion, DeleteObject s3:DeleteObjectVersion).
 */
export function authorizationsFor(request: ServiceRequest): Authorization[] {
  const map = SERVICES[request.service];
  if (!map) throw new IamPolicyError(`service ${request.service} has no authorization mapping in local/iam`);
  return map(request);
}

/** The lowercased ASL integration names that map to each service's operation name. */
const INTEGRATION_SERVICES: Readonly<Record<string, string>> = {
  dynamodb: 'dynamodb',
  events: 'events',
  sns: 'sns',
  lambda: 'lambda',
  states: 'states',
  sqs: 'sqs',
};

/**
 * The request a state machine's Task makes: an optimized integration
 * (`arn:aws:states:::dynamodb:updateItem`, `…:events:putEvents`, `…:sns:publish`,
 * `…:lambda:invoke[.waitForTaskToken]`, `…:states:startExecution[.sync]`) with its resolved
 * Parameters, or a Lambda function ARN given directly as the Resource.
 */
export function integrationRequest(
  resource: string,
  parameters: Readonly<Record<string, unknown>>,
  where: { region: string; accountId: string; partition?: string },
): ServiceRequest {
  const integration = /^arn:[^:]+:states:::([a-z0-9-]+):([A-Za-z]+)(?:\.[A-Za-z]+)?$/.exec(resource);
  if (integration) {
    const service = INTEGRATION_SERVICES[integration[1] as string];
    if (!service)
      throw new IamPolicyError(`state machine integration ${resource} has no authorization mapping`);
    const name = integration[2] as string;
    const operation = name.charAt(0).toUpperCase() + name.slice(1);
    return { service, operation, params: parameters, ...where };
  }
  if (/^arn:[^:]+:lambda:[^:]+:[^:]+:function:/.test(resource))
    return { service: 'lambda', operation: 'Invoke', params: { FunctionName: resource }, ...where };
  throw new IamPolicyError(`state machine Task resource ${resource} has no authorization mapping`);
}
