// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the template uses Fn::Sub ${Name} placeholders in plain strings
/**
 * A small SAM template with two functions — Reader, allowed one read or send per service, and
 * Nobody, allowed nothing beyond logging — and the runtime's AccessControl built from it, for the
 * services' signature and IAM tests.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessControl,
  buildIamModel,
  type Credentials,
  findPrincipal,
  type Principal,
} from '../../../local/iam';
import { loadProject, type ResolvedStack } from '../../../local/template';

export const REGION = 'eu-west-1';
export const ACCOUNT_ID = '123456789012';
export const ADMIN: Credentials = { accessKeyId: 'AKIDLOCALADMIN', secretAccessKey: 'local-admin-secret' };
export const BUCKET = 'iam-photos';
export const TABLE = 'iam-items';
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT_ID}:iam-alerts`;
export const SENDER = 'sender@example.com';
export const PARAMETER = '/iam/greeting';
export const DISTRIBUTION_ID = 'EDFDVBD6EXAMPLE';

const TEMPLATE = `
Transform: AWS::Serverless-2016-10-31
Resources:
  Photos:
    Type: AWS::S3::Bucket
    Properties: {BucketName: ${BUCKET}}
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: ${TABLE}
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Alerts:
    Type: AWS::SNS::Topic
    Properties: {TopicName: iam-alerts}
  ApiKey:
    Type: AWS::SecretsManager::Secret
    Properties: {Name: iam-api-key, SecretString: s3cr3t}
  Approval:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: iam-approval
      Definition: {StartAt: Done, States: {Done: {Type: Pass, End: true}}}
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: index.handler
      CodeUri: .
      Policies:
        - S3ReadPolicy: {BucketName: ${BUCKET}}
        - DynamoDBReadPolicy: {TableName: ${TABLE}}
        - Statement:
            - {Effect: Allow, Action: sns:Publish, Resource: !Ref Alerts}
            - {Effect: Allow, Action: ses:SendEmail, Resource: !Sub 'arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:identity/${SENDER}'}
            - {Effect: Allow, Action: secretsmanager:GetSecretValue, Resource: !Ref ApiKey}
            - {Effect: Allow, Action: ssm:GetParameter, Resource: !Sub 'arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/iam/*'}
            - {Effect: Allow, Action: rekognition:DetectLabels, Resource: '*'}
            - {Effect: Allow, Action: events:PutEvents, Resource: !Sub 'arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/default'}
            - {Effect: Allow, Action: [states:StartExecution, states:SendTaskSuccess], Resource: !Ref Approval}
            - {Effect: Allow, Action: cloudfront:CreateInvalidation, Resource: !Sub 'arn:\${AWS::Partition}:cloudfront::\${AWS::AccountId}:distribution/*'}
  Nobody:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: index.handler
      CodeUri: .
`;

export interface AccessFixture {
  access: AccessControl;
  stacks: ResolvedStack[];
  reader: Principal;
  nobody: Principal;
  /** Credentials of each function's role session, as its environment gets them. */
  readerCredentials: Credentials;
  nobodyCredentials: Credentials;
  /** The state machine's ARN and the secret's (with its random suffix). */
  stateMachineArn: string;
  secretArn: string;
  /** Every refusal's log line. */
  logLines: string[];
}

/** The AccessControl of the fixture template, its role-session seed kept in `dataDir`. */
export function accessFixture(dataDir: string, options: { enforce?: boolean } = {}): AccessFixture {
  const templatesDir = mkdtempSync(join(tmpdir(), 'iam-access-'));
  writeFileSync(join(templatesDir, 'app.yaml'), TEMPLATE);
  const { stacks } = loadProject({
    region: REGION,
    accountId: ACCOUNT_ID,
    templatesDir,
    stacks: [{ file: 'app.yaml', stackName: 'app' }],
  });
  const logLines: string[] = [];
  const access = new AccessControl({
    model: buildIamModel(stacks),
    enforce: options.enforce ?? true,
    admin: ADMIN,
    seedFile: join(dataDir, 'iam-seed'),
    log: (line) => logLines.push(line),
  });
  const principal = (name: string) => findPrincipal(access.model, name, 'function') as Principal;
  const reader = principal('Reader');
  const nobody = principal('Nobody');
  const resources = (stacks[0] as ResolvedStack).resources;
  return {
    access,
    stacks: [...stacks],
    reader,
    nobody,
    readerCredentials: access.credentialsFor(reader),
    nobodyCredentials: access.credentialsFor(nobody),
    stateMachineArn: String(resources.Approval?.physicalId),
    secretArn: String(resources.ApiKey?.physicalId),
    logLines,
  };
}
