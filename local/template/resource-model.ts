import { generatedName, stableToken, stableUuid } from './names';

/** What a resource model sees of one resource while computing its `Ref` or an attribute. */
export interface ResourceContext {
  readonly logicalId: string;
  readonly type: string;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  /** The resolved value of one of the resource's properties (undefined when absent). */
  property(name: string): unknown;
  /** Throws a `TemplateError` pointing at the reference being resolved. */
  fail(detail: string): never;
}

export type ResourceValue = (resource: ResourceContext) => unknown;

export interface ResourceTypeModel {
  /** What `Ref` returns for the resource. */
  readonly ref: ResourceValue;
  /** What `Fn::GetAtt` returns, by attribute name. */
  readonly attributes: Readonly<Record<string, ResourceValue>>;
}

/**
 * How the `Ref` and `Fn::GetAtt` values of each resource type look, by type. A key ending in
 * `::*` (e.g. `AWS::SES::*`) covers every type of that service without a key of its own.
 */
export type ResourceModel = Readonly<Record<string, ResourceTypeModel>>;

export function modelFor(model: ResourceModel, type: string): ResourceTypeModel | undefined {
  return model[type] ?? model[`${type.slice(0, type.lastIndexOf('::'))}::*`];
}

function text(resource: ResourceContext, property: string): string | undefined {
  const value = resource.property(property);
  if (value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return resource.fail(`${property} of ${resource.logicalId} must resolve to a string to name the resource`);
}

function arn(
  resource: ResourceContext,
  service: string,
  rest: string,
  scope: 'regional' | 'global' = 'regional',
) {
  const region = scope === 'regional' ? resource.region : '';
  const account = service === 's3' ? '' : resource.accountId;
  return `arn:${resource.partition}:${service}:${region}:${account}:${rest}`;
}

function identity(resource: ResourceContext): { stackName: string; logicalId: string } {
  return { stackName: resource.stackName, logicalId: resource.logicalId };
}

/** The name given in `property`, else one CloudFormation would generate. */
function nameOf(
  property: string,
  maxLength: number,
  options: { lowerCase?: boolean; withoutStackName?: boolean } = {},
): ResourceValue {
  return (resource) =>
    text(resource, property) ?? generatedName({ ...identity(resource), maxLength, ...options });
}

const S3_LEGACY_WEBSITE_REGIONS = new Set([
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
  'us-gov-west-1',
]);

/** S3 general purpose bucket naming rules. Returns the broken rule, if any. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may only contain lower-case letters, digits, dots and hyphens';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'must not start with a reserved prefix';
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return 'must not end with a reserved suffix';
  return undefined;
}

const bucketName: ResourceValue = (resource) => {
  const given = text(resource, 'BucketName');
  if (given !== undefined) {
    const problem = bucketNameProblem(given);
    if (problem) resource.fail(`BucketName '${given}' is not a valid S3 bucket name: it ${problem}`);
    return given;
  }
  return generatedName({
    stackName: resource.stackName.toLowerCase(),
    logicalId: resource.logicalId.toLowerCase(),
    maxLength: 63,
    lowerCase: true,
  });
};

const bucket: ResourceTypeModel = {
  ref: bucketName,
  attributes: {
    Arn: (r) => `arn:${r.partition}:s3:::${bucketName(r)}`,
    DomainName: (r) => `${bucketName(r)}.s3.${r.urlSuffix}`,
    RegionalDomainName: (r) => `${bucketName(r)}.s3.${r.region}.${r.urlSuffix}`,
    DualStackDomainName: (r) => `${bucketName(r)}.s3.dualstack.${r.region}.${r.urlSuffix}`,
    WebsiteURL: (r) =>
      `http://${bucketName(r)}.s3-website${S3_LEGACY_WEBSITE_REGIONS.has(r.region) ? '-' : '.'}${r.region}.${r.urlSuffix}`,
  },
};

const tableName = nameOf('TableName', 255);
const table: ResourceTypeModel = {
  ref: tableName,
  attributes: {
    Arn: (r) => arn(r, 'dynamodb', `table/${tableName(r)}`),
    StreamArn: (r) => {
      if (r.property('StreamSpecification') === undefined) {
        r.fail(`Fn::GetAtt ${r.logicalId}.StreamArn needs a StreamSpecification on the table`);
      }
      return arn(r, 'dynamodb', `table/${tableName(r)}/stream/1970-01-01T00:00:00.000`);
    },
  },
};

const functionName = nameOf('FunctionName', 64);
const lambdaFunction: ResourceTypeModel = {
  ref: functionName,
  attributes: { Arn: (r) => arn(r, 'lambda', `function:${functionName(r)}`) },
};

const layerArn =
  (defaultName: 'logicalId' | 'generated'): ResourceValue =>
  (r) => {
    const name =
      text(r, 'LayerName') ??
      (defaultName === 'logicalId'
        ? r.logicalId
        : generatedName({ ...identity(r), maxLength: 140, withoutStackName: true }));
    return arn(r, 'lambda', `layer:${name}:1`);
  };

/** A state machine named by `property` (StateMachineName; SAM's AWS::Serverless::StateMachine calls it Name). */
function stateMachineModel(property: 'StateMachineName' | 'Name'): ResourceTypeModel {
  const name = nameOf(property, 80, { withoutStackName: true });
  const stateMachineArn: ResourceValue = (r) => arn(r, 'states', `stateMachine:${name(r)}`);
  return { ref: stateMachineArn, attributes: { Arn: stateMachineArn, Name: name } };
}

const busName: ResourceValue = (r) => text(r, 'Name') ?? r.fail(`event bus ${r.logicalId} needs a Name`);
const eventBus: ResourceTypeModel = {
  ref: busName,
  attributes: {
    Arn: (r) => arn(r, 'events', `event-bus/${busName(r)}`),
    Name: busName,
  },
};

const ruleName = nameOf('Name', 64);
function ruleBus(r: ResourceContext): string | undefined {
  const bus = text(r, 'EventBusName');
  if (bus === undefined || bus === 'default') return undefined;
  return bus.includes(':event-bus/') ? bus.slice(bus.lastIndexOf('/') + 1) : bus;
}
const eventRule: ResourceTypeModel = {
  ref: (r) => {
    const bus = ruleBus(r);
    return bus ? `${bus}|${ruleName(r)}` : ruleName(r);
  },
  attributes: {
    Arn: (r) => {
      const bus = ruleBus(r);
      return arn(r, 'events', bus ? `rule/${bus}/${ruleName(r)}` : `rule/${ruleName(r)}`);
    },
  },
};

const archiveName = nameOf('ArchiveName', 48, { withoutStackName: true });
const eventArchive: ResourceTypeModel = {
  ref: archiveName,
  attributes: { Arn: (r) => arn(r, 'events', `archive/${archiveName(r)}`), ArchiveName: archiveName },
};

function apiId(r: ResourceContext): string {
  return stableToken(`${r.stackName}/${r.logicalId}/api`, 10, 'lower');
}
const httpApi: ResourceTypeModel = {
  ref: apiId,
  attributes: {
    ApiEndpoint: (r) => `https://${apiId(r)}.execute-api.${r.region}.${r.urlSuffix}`,
    ApiId: apiId,
  },
};
const restApi: ResourceTypeModel = {
  ref: apiId,
  attributes: {
    RootResourceId: (r) => stableToken(`${r.stackName}/${r.logicalId}/root`, 10, 'lower'),
    RestApiId: apiId,
  },
};

function fifoName(property: string, maxLength: number): ResourceValue {
  const base = nameOf(property, maxLength);
  return (r) => {
    const name = String(base(r));
    const fifo = r.property('FifoQueue') === true || r.property('FifoTopic') === true;
    return fifo && text(r, property) === undefined ? `${name.slice(0, maxLength - 5)}.fifo` : name;
  };
}

const topicName = fifoName('TopicName', 256);
const topicArn: ResourceValue = (r) => arn(r, 'sns', String(topicName(r)));
const topic: ResourceTypeModel = { ref: topicArn, attributes: { TopicArn: topicArn, TopicName: topicName } };

const queueName = fifoName('QueueName', 80);
const queueUrl: ResourceValue = (r) =>
  `https://sqs.${r.region}.${r.urlSuffix}/${r.accountId}/${queueName(r)}`;
const queue: ResourceTypeModel = {
  ref: queueUrl,
  attributes: { Arn: (r) => arn(r, 'sqs', String(queueName(r))), QueueName: queueName, QueueUrl: queueUrl },
};

const secretArn: ResourceValue = (r) => {
  const name = text(r, 'Name') ?? generatedName({ ...identity(r), maxLength: 256, withoutStackName: true });
  return arn(
    r,
    'secretsmanager',
    `secret:${name}-${stableToken(`${r.stackName}/${r.logicalId}/secret`, 6, 'lower')}`,
  );
};
const secret: ResourceTypeModel = { ref: secretArn, attributes: { Id: secretArn } };

const ssmName: ResourceValue = (r) =>
  text(r, 'Name') ?? generatedName({ stackName: 'CFN', logicalId: r.logicalId, maxLength: 2048 });
const ssmParameter: ResourceTypeModel = {
  ref: ssmName,
  attributes: { Type: (r) => text(r, 'Type') ?? 'String', Value: (r) => r.property('Value') },
};

const logGroupName = nameOf('LogGroupName', 512);
const logGroup: ResourceTypeModel = {
  ref: logGroupName,
  attributes: { Arn: (r) => arn(r, 'logs', `log-group:${logGroupName(r)}:*`) },
};

const roleName = nameOf('RoleName', 64);
const role: ResourceTypeModel = {
  ref: roleName,
  attributes: {
    Arn: (r) => arn(r, 'iam', `role${text(r, 'Path') ?? '/'}${roleName(r)}`, 'global'),
    RoleId: (r) => `AROA${stableToken(`${r.stackName}/${r.logicalId}/role`, 17)}`,
  },
};

const managedPolicyArn: ResourceValue = (r) =>
  arn(r, 'iam', `policy${text(r, 'Path') ?? '/'}${nameOf('ManagedPolicyName', 128)(r)}`, 'global');

const distributionId: ResourceValue = (r) =>
  `E${stableToken(`${r.stackName}/${r.logicalId}/distribution`, 13)}`;
const distribution: ResourceTypeModel = {
  ref: distributionId,
  attributes: {
    Id: distributionId,
    DomainName: (r) => `d${stableToken(`${r.stackName}/${r.logicalId}/domain`, 13, 'lower')}.cloudfront.net`,
  },
};

const cloudFrontId: ResourceValue = (r) => `E${stableToken(`${r.stackName}/${r.logicalId}/id`, 13)}`;
const cloudFrontPolicyId: ResourceValue = (r) => stableUuid(`${r.stackName}/${r.logicalId}/policy`);

const keyId: ResourceValue = (r) => stableUuid(`${r.stackName}/${r.logicalId}/key`);
const kmsKey: ResourceTypeModel = {
  ref: keyId,
  attributes: { Arn: (r) => arn(r, 'kms', `key/${keyId(r)}`), KeyId: keyId },
};

/** A resource whose `Ref` is an opaque generated id and which has no attributes. */
const opaque = (): ResourceTypeModel => ({
  ref: (r) => generatedName({ ...identity(r), maxLength: 128 }),
  attributes: {},
});
/** A resource whose `Ref` is its name (from `property`, else generated) and which has no attributes. */
const named = (property: string, maxLength = 128): ResourceTypeModel => ({
  ref: nameOf(property, maxLength),
  attributes: {},
});

/**
 * Deterministic, realistic physical ids and ARNs for the types the app uses (partition, region
 * and account from the stack). Names given in properties (`BucketName`, `TableName`, …) win.
 */
export const defaultResourceModel: ResourceModel = {
  'AWS::S3::Bucket': bucket,
  'AWS::S3::BucketPolicy': opaque(),
  'AWS::DynamoDB::Table': table,
  'AWS::Serverless::SimpleTable': { ref: tableName, attributes: {} },
  'AWS::Events::EventBus': eventBus,
  'AWS::Events::Rule': eventRule,
  'AWS::Events::Archive': eventArchive,
  'AWS::Serverless::Function': lambdaFunction,
  'AWS::Lambda::Function': lambdaFunction,
  'AWS::Lambda::Permission': opaque(),
  'AWS::Lambda::EventInvokeConfig': opaque(),
  'AWS::Lambda::EventSourceMapping': {
    ref: (r) => stableUuid(`${r.stackName}/${r.logicalId}/esm`),
    attributes: {},
  },
  'AWS::Serverless::LayerVersion': { ref: layerArn('logicalId'), attributes: {} },
  'AWS::Lambda::LayerVersion': { ref: layerArn('generated'), attributes: {} },
  'AWS::Serverless::StateMachine': stateMachineModel('Name'),
  'AWS::StepFunctions::StateMachine': stateMachineModel('StateMachineName'),
  'AWS::Serverless::HttpApi': httpApi,
  'AWS::ApiGatewayV2::Api': httpApi,
  'AWS::Serverless::Api': restApi,
  'AWS::SNS::Topic': topic,
  'AWS::SNS::Subscription': {
    ref: (r) => `${topicArn(r)}:${stableUuid(`${r.stackName}/${r.logicalId}`)}`,
    attributes: {},
  },
  'AWS::SNS::TopicPolicy': opaque(),
  'AWS::SQS::Queue': queue,
  'AWS::SQS::QueuePolicy': opaque(),
  'AWS::SecretsManager::Secret': secret,
  'AWS::SSM::Parameter': ssmParameter,
  'AWS::Logs::LogGroup': logGroup,
  'AWS::IAM::Role': role,
  'AWS::IAM::Policy': opaque(),
  'AWS::IAM::ManagedPolicy': { ref: managedPolicyArn, attributes: { PolicyArn: managedPolicyArn } },
  'AWS::CloudFront::Distribution': distribution,
  'AWS::CloudFront::OriginAccessControl': { ref: cloudFrontId, attributes: { Id: cloudFrontId } },
  'AWS::CloudFront::CachePolicy': { ref: cloudFrontPolicyId, attributes: { Id: cloudFrontPolicyId } },
  'AWS::CloudFront::OriginRequestPolicy': { ref: cloudFrontPolicyId, attributes: { Id: cloudFrontPolicyId } },
  'AWS::CloudFront::ResponseHeadersPolicy': {
    ref: cloudFrontPolicyId,
    attributes: { Id: cloudFrontPolicyId },
  },
  'AWS::SES::EmailIdentity': named('EmailIdentity'),
  'AWS::SES::ConfigurationSet': named('Name', 64),
  'AWS::SES::*': opaque(),
  'AWS::KMS::Key': kmsKey,
  // Alarms are inert offline (no CloudWatch metrics); their name and ARN still resolve.
  'AWS::CloudWatch::Alarm': {
    ref: nameOf('AlarmName', 255),
    attributes: { Arn: (r) => arn(r, 'cloudwatch', `alarm:${nameOf('AlarmName', 255)(r)}`) },
  },
  'AWS::KMS::Alias': named('AliasName', 256),
};
