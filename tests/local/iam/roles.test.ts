// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates use Fn::Sub ${Name} placeholders in plain strings
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildIamModel,
  evaluate,
  expandPolicyTemplate,
  findPrincipal,
  IamPolicyError,
  type Principal,
  resourcePoliciesFor,
} from '../../../local/iam';
import { loadProject } from '../../../local/template';
import { ACCOUNT, loadRealProject, ROOT } from './real-templates';

const SCOPE = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
const stored = JSON.parse(readFileSync(join(ROOT, 'local/iam/data/sam-policy-templates.json'), 'utf8')) as {
  source: string;
  templates: Record<string, unknown>;
};

describe('SAM policy templates', () => {
  it("are stored exactly as the installed aws-sam-translator's policy_templates.json has them", () => {
    const script = [
      'import json, os, sys, samtranslator',
      "path = os.path.join(os.path.dirname(samtranslator.__file__), 'policy_templates_data', 'policy_templates.json')",
      "print(json.dumps({'version': samtranslator.__version__, 'templates': json.load(open(path))['Templates']}))",
    ].join('\n');
    const installed = JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8' })) as {
      version: string;
      templates: Record<string, unknown>;
    };
    const names = Object.keys(stored.templates);

    expect(Object.fromEntries(names.map((name) => [name, installed.templates[name]]))).toEqual(
      stored.templates,
    );
    expect(stored.source).toContain(`aws-sam-translator ${installed.version}`);
  });

  it('include every policy template the templates use', () => {
    const used = new Set<string>();
    for (const file of ['backend', 'gdpr', 'workflow-v1', 'workflow-v2', 'workflow-v3', 'workflow-v4']) {
      const text = readFileSync(join(ROOT, 'templates', `${file}.yaml`), 'utf8');
      for (const match of text.matchAll(/^\s*- ([A-Za-z0-9]+Policy):/gm)) used.add(match[1] as string);
    }
    expect([...used].filter((name) => !(name in stored.templates))).toEqual([]);
  });

  it('expand S3ReadPolicy to the bucket and its objects, with the five read actions', () => {
    expect(expandPolicyTemplate('S3ReadPolicy', { BucketName: 'uploads' }, SCOPE)).toEqual({
      Statement: [
        {
          Action: [
            's3:GetObject',
            's3:ListBucket',
            's3:GetBucketLocation',
            's3:GetObjectVersion',
            's3:GetLifecycleConfiguration',
          ],
          Effect: 'Allow',
          Resource: ['arn:aws:s3:::uploads', 'arn:aws:s3:::uploads/*'],
        },
      ],
    });
  });

  it('expand LambdaInvokePolicy to the function and its versions and aliases (name*)', () => {
    expect(expandPolicyTemplate('LambdaInvokePolicy', { FunctionName: 'fn' }, SCOPE)).toEqual({
      Statement: [
        {
          Action: ['lambda:InvokeFunction'],
          Effect: 'Allow',
          Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:fn*',
        },
      ],
    });
  });

  it('expand DynamoDBCrudPolicy to the table and every index of it', () => {
    const document = expandPolicyTemplate('DynamoDBCrudPolicy', { TableName: 't' }, SCOPE);
    expect([document.Statement].flat()[0]?.Resource).toEqual([
      'arn:aws:dynamodb:eu-west-1:123456789012:table/t',
      'arn:aws:dynamodb:eu-west-1:123456789012:table/t/index/*',
    ]);
  });

  it('refuse a template without one of its parameters, naming it', () => {
    expect(() => expandPolicyTemplate('SNSPublishMessagePolicy', {}, SCOPE)).toThrow(
      new IamPolicyError('policy template SNSPublishMessagePolicy needs its TopicName parameter'),
    );
  });
});

describe('roles SAM creates for the real templates', () => {
  const stacks = loadRealProject('workflow-v4');
  const model = buildIamModel(stacks);

  it('give a traced function its policies, AWSLambdaBasicExecutionRole and AWSXrayWriteOnlyAccess, as <Function>Role', () => {
    const fn = findPrincipal(model, 'CheckDimensionsFunction') as Principal;
    expect(fn.policies.map((policy) => policy.name)).toEqual([
      'CheckDimensionsFunctionRolePolicy0',
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      'arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess',
    ]);
    expect(fn.roleArn).toMatch(
      /^arn:aws:iam::123456789012:role\/happy-path-workflow-CheckDimensionsFunctionRole-[A-Z0-9]{12}$/,
    );
    expect(fn.unknownManagedPolicies).toEqual([]);
  });

  it('let a function send to its failure destination queue (EventInvokeConfig OnFailure)', () => {
    const fn = findPrincipal(model, 'NotifyUploadCompleteFunction') as Principal;
    const queue = stacks[1]?.getAtt('UploadNotificationFailureQueue', 'Arn') as string;
    const result = evaluate({
      caller: {
        kind: 'role',
        sessionArn: fn.sessionArn,
        roleArn: fn.roleArn,
        accountId: fn.accountId,
        policies: fn.policies,
      },
      action: 'sqs:SendMessage',
      resource: queue,
    });
    expect(result).toMatchObject({
      decision: 'Allow',
      matchedStatement: { policy: 'NotifyUploadCompleteFunctionRoleOnFailureSQSPolicy' },
    });
  });

  it('give a traced state machine AWSXrayWriteOnlyAccess besides its Policies', () => {
    const machine = findPrincipal(model, 'ErasureWorkflow', 'stateMachine') as Principal;
    expect(machine.policies.map((policy) => policy.name).at(-1)).toBe(
      'arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess',
    );
    expect(
      machine.policies.filter((policy) => policy.name.startsWith('ErasureWorkflowRolePolicy')),
    ).toHaveLength(9);
  });

  it('let API Gateway invoke an API function only from its own API (the permission SAM adds)', () => {
    const fn = findPrincipal(model, 'CreateLocationFunction') as Principal;
    const arn = String(stacks[1]?.getAtt('CreateLocationFunction', 'Arn'));
    const api = String(stacks[1]?.resources.HttpApi?.physicalId);
    const invoke = (sourceArn: string) =>
      evaluate({
        caller: { kind: 'service', service: 'apigateway.amazonaws.com' },
        action: 'lambda:InvokeFunction',
        resource: arn,
        context: { 'aws:SourceArn': sourceArn },
        resourcePolicies: resourcePoliciesFor(model, arn),
      }).decision;
    expect(fn.kind).toBe('function');
    expect([
      invoke(`arn:aws:execute-api:eu-west-1:123456789012:${api}/$default/POST/locations`),
      invoke('arn:aws:execute-api:eu-west-1:123456789012:otherapi/$default/POST/locations'),
    ]).toEqual(['Allow', 'ImplicitDeny']);
  });
});

describe('explicit roles and permissions in a template', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-roles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('give a function with Role the inline, attached and managed policies of that AWS::IAM::Role', () => {
    writeFileSync(
      join(dir, 'app.yaml'),
      `
Transform: AWS::Serverless-2016-10-31
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole, arn:aws:iam::aws:policy/ReadOnlyAccess]
      Policies:
        - PolicyName: Reads
          PolicyDocument: {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: !Sub '\${Bucket.Arn}/*'}]}
  Writes:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: Writes
      Roles: [!Ref FnRole]
      PolicyDocument: {Statement: [{Effect: Allow, Action: s3:PutObject, Resource: !Sub '\${Bucket.Arn}/*'}]}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: index.handler
      CodeUri: .
      Role: !GetAtt FnRole.Arn
`,
    );
    const { stacks } = loadProject({
      ...ACCOUNT,
      templatesDir: dir,
      stacks: [{ file: 'app.yaml', stackName: 'app' }],
    });

    const fn = findPrincipal(buildIamModel(stacks), 'Fn') as Principal;

    expect(fn.policies.map((policy) => policy.name)).toEqual([
      'Reads',
      'Writes',
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    ]);
    expect(fn.unknownManagedPolicies).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
    expect(fn.sessionArn).toMatch(
      /^arn:aws:sts::123456789012:assumed-role\/app-FnRole-[A-Z0-9]{12}\/app-Fn-[A-Z0-9]{12}$/,
    );
  });
});
