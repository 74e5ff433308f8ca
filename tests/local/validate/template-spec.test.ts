import { runtimeDeprecations, samPolicyTemplates } from '../../../local/validate/sam-data';
import { loadSpecDb } from '../../../local/validate/spec-db';
import { checkTemplate, type TemplateDependencies } from '../../../local/validate/template-spec';
import { errors, lineOf, TODAY, templateFindings } from './helpers';

function deps(today: Date = TODAY): TemplateDependencies {
  const spec = loadSpecDb();
  return { spec, policyTemplates: samPolicyTemplates(spec), runtimes: runtimeDeprecations, today };
}

function check(text: string, today?: Date) {
  return checkTemplate('/project/templates/inline.yaml', text, deps(today)).findings;
}

describe('template validation against the resource specification', () => {
  it('finds nothing wrong in the valid fixture, so each broken fixture fails for its own mistake', async () => {
    const { findings } = await templateFindings('valid');

    expect(findings).toEqual([]);
  });

  it.each([
    [
      'an unknown resource type, with the closest real one',
      'unknown-resource-type',
      'Type: AWS::S3::Buckit',
      'unknown resource type AWS::S3::Buckit (did you mean "AWS::S3::Bucket"?)',
    ],
    [
      'a misspelled property, with the closest name',
      'misspelled-property',
      'VersioningConfiguraton:',
      'PhotoBucket (AWS::S3::Bucket) has no property "VersioningConfiguraton" (did you mean "VersioningConfiguration"?)',
    ],
    [
      'a property of the wrong type',
      'wrong-property-type',
      'Timeout: ten seconds',
      'Globals.Function.Timeout must be a number, not a string ("ten seconds")',
    ],
    [
      'a missing required property',
      'missing-required-property',
      'BillingMode: PAY_PER_REQUEST',
      'PlaceTable (AWS::DynamoDB::Table) is missing the required property KeySchema',
    ],
    [
      'an unknown SAM policy template, with the closest one',
      'unknown-policy-template',
      'S3ReaderPolicy:',
      'unknown SAM policy template "S3ReaderPolicy" (did you mean "S3ReadPolicy"?)',
    ],
    [
      'a wrong SAM policy template parameter, with the right one',
      'wrong-policy-parameter',
      'Bucket: !Ref PhotoBucket',
      'SAM policy template S3ReadPolicy has no parameter "Bucket" (did you mean "BucketName"?) (parameters: BucketName)',
    ],
    [
      'a deprecated Lambda runtime',
      'deprecated-runtime',
      'Runtime: nodejs16.x',
      'runtime nodejs16.x (Node.js 16) is deprecated since 2024-06-12',
    ],
    [
      'a Number parameter with a non-numeric default',
      'non-numeric-number-default',
      'Default: thirty',
      'the Default of Number parameter LogRetentionDays is not a number: "thirty"',
    ],
    [
      'a dependency cycle through the API SAM generates from an HttpApi event',
      'dependency-cycle',
      '  PhotoApi:',
      "circular dependency PhotoApi → PageFunction → PhotoApi: SAM writes PageFunction's ARN into PhotoApi's definition (its HttpApi event Page); PageFunction.Environment refers to PhotoApi",
    ],
    [
      'an output named like a parameter (sam build crashes on it: SAM CLI issue #8627)',
      'output-named-like-parameter',
      'Audiences: # the name of the parameter above',
      'output Audiences has the name of a parameter: sam build crashes on it (SAM CLI issue #8627)',
    ],
  ])('reports %s, once and on its line', async (_, name, text, message) => {
    const { file, findings } = await templateFindings(name);
    // A missing property is reported at its resource's Properties key, the line above.
    const line = lineOf(file, text) - (name === 'missing-required-property' ? 1 : 0);

    expect(errors(findings)).toEqual([
      expect.objectContaining({ file, line, message: expect.stringContaining(message) }),
    ]);
  });

  it('accepts a SAM property that only the generated CloudFormation resource knows, and type-checks it', () => {
    const template = (logFormat: string) => `
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: worker.handler
      CodeUri: ../
      RecursiveLoop: Terminate
      LoggingConfig: ${logFormat}
`;

    expect(check(template('{ LogFormat: JSON }'))).toEqual([]);
    expect(check(template('JSON'))).toEqual([
      expect.objectContaining({
        line: 11,
        message: expect.stringContaining('Worker.LoggingConfig must be a mapping (LoggingConfig)'),
      }),
    ]);
  });

  it('checks SAM event sources: a misspelled type, and an unknown property with a suggestion', () => {
    const findings = check(`
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: worker.handler
      CodeUri: ../
      Events:
        Nightly:
          Type: Schedul
          Properties:
            Schedule: rate(1 day)
        Uploaded:
          Type: EventBridgeRule
          Properties:
            Patern: { source: [app] }
            RetryPolicy: { MaximumRetryAttempts: 3 }
`);

    expect(findings).toEqual([
      expect.objectContaining({
        line: 12,
        message:
          'unknown event source type "Schedul" for AWS::Serverless::Function (did you mean "Schedule"?)',
      }),
      expect.objectContaining({
        line: 18,
        message: expect.stringContaining('has no property "Patern" (did you mean "Pattern"?)'),
      }),
    ]);
  });

  it('accepts intrinsic functions for any scalar and for lists', () => {
    const findings = check(`
Parameters:
  Origins:
    Type: CommaDelimitedList
    Default: https://example.com
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '\${AWS::StackName}-photos'
      CorsConfiguration:
        CorsRules:
          - AllowedOrigins: !Ref Origins
            AllowedMethods: [!If [IsProd, GET, POST]]
            MaxAge: !Ref AWS::NoValue
`);

    expect(findings).toEqual([]);
  });

  it('checks parameter defaults against AllowedValues and MinValue, and export names for uniqueness', () => {
    const findings = check(`
Parameters:
  Stage:
    Type: String
    Default: test
    AllowedValues: [dev, prod]
  Retention:
    Type: Number
    Default: 0
    MinValue: 1
Resources:
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  TopicArn:
    Value: !Ref Topic
    Export:
      Name: !Sub '\${AWS::StackName}-Topic'
  TopicArnAgain:
    Value: !Ref Topic
    Export:
      Name: !Sub '\${AWS::StackName}-Topic'
`);

    expect(findings.map((item) => [item.line, item.message])).toEqual([
      [5, 'the Default "test" of parameter Stage is not one of its AllowedValues'],
      [9, 'the Default 0 of parameter Retention is below its MinValue 1'],
      [22, 'output TopicArnAgain exports the same name as output TopicArn'],
    ]);
  });

  it('warns about a runtime whose deprecation is less than 180 days away', () => {
    const template = `
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: worker.handler
      CodeUri: ../
`;

    expect(check(template, new Date('2026-01-01T00:00:00Z'))).toEqual([]);
    expect(check(template, new Date('2027-01-01T00:00:00Z'))).toEqual([
      expect.objectContaining({
        severity: 'warning',
        line: 6,
        message: expect.stringContaining('will be deprecated on 2027-04-30'),
      }),
    ]);
  });
});

describe('dependency cycles after the SAM transform', () => {
  const header = 'Transform: AWS::Serverless-2016-10-31\nResources:\n';
  const cycles = (resources: string) =>
    check(header + resources).filter((item) => item.message.startsWith('circular dependency'));

  it('accepts a function routed by an API it does not name, and an API URL built from a name', () => {
    expect(
      cycles(`
  Api:
    Type: AWS::Serverless::HttpApi
  Page:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: page.handler
      CodeUri: ../
      Environment:
        Variables:
          SELF: !Sub ['https://\${Id}.example', { Id: api-id }]
      Events:
        Get:
          Type: HttpApi
          Properties: { ApiId: !Ref Api, Method: GET, Path: /page }
`),
    ).toEqual([]);
  });

  it('reports a bucket whose S3 event function writes to it through a reference', () => {
    expect(
      cycles(`
  Uploads:
    Type: AWS::S3::Bucket
  OnUpload:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: on-upload.handler
      CodeUri: ../
      Environment:
        Variables: { BUCKET: !Ref Uploads }
      Events:
        Created:
          Type: S3
          Properties: { Bucket: !Ref Uploads, Events: s3:ObjectCreated:* }
`),
    ).toEqual([
      expect.objectContaining({
        line: 4,
        message: expect.stringContaining(
          "circular dependency Uploads → OnUpload → Uploads: SAM puts OnUpload in Uploads's notification configuration (S3 event Created); OnUpload.Environment refers to Uploads",
        ),
      }),
    ]);
  });

  it('reports a DependsOn loop and a GetAtt loop, each once', () => {
    const found = cycles(`
  A:
    Type: AWS::SNS::Topic
    DependsOn: B
  B:
    Type: AWS::SNS::Topic
    DependsOn: [A]
  C:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !GetAtt D.QueueName
  D:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '\${C.QueueName}-d'
`);

    expect(found.map((item) => item.message.split(':')[0])).toEqual([
      'circular dependency A → B → A',
      'circular dependency C → D → C',
    ]);
  });
});

describe('what the SAM transform itself accepts (data from aws-sam-translator)', () => {
  const template = (globals: string, resource: string) =>
    `Transform: AWS::Serverless-2016-10-31\nGlobals:\n${globals}\nResources:\n${resource}`;
  const defaultGlobals = '  Function:\n    Timeout: 10';
  const worker = (extra: string) => `  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: worker.handler
      CodeUri: ../
${extra}`;
  const messages = (globals: string, resource: string) =>
    check(template(globals, resource)).map((item) => `${item.line}: ${item.message}`);

  it('accepts a function that SAM accepts', () => {
    expect(messages(defaultGlobals, worker(''))).toEqual([]);
  });

  it('refuses a property only the generated AWS::Lambda::Function has', () => {
    expect(messages(defaultGlobals, worker('      Code: { ZipFile: x }'))).toEqual([
      '12: Worker (AWS::Serverless::Function) has no property "Code" (did you mean "CodeUri"?): the SAM transform refuses it',
    ]);
  });

  it('refuses a Globals property SAM does not support there', () => {
    expect(messages('  Function:\n    FunctionName: shared', worker(''))).toEqual([
      '4: Globals.Function does not accept the property "FunctionName": the SAM transform refuses it',
    ]);
  });

  it('refuses an unknown runtime, with the closest real one', () => {
    expect(messages(defaultGlobals, worker('').replace('nodejs24.x', 'nodejs24'))).toEqual([
      '9: unknown Lambda runtime "nodejs24" (did you mean "nodejs24.x"?)',
    ]);
  });

  it('requires code and a handler for a Zip function, taking Globals into account', () => {
    const bare = '  Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs24.x';

    expect(messages(defaultGlobals, bare)).toEqual([
      '8: Worker (AWS::Serverless::Function) is missing Handler, CodeUri or InlineCode, which SAM requires',
    ]);
    expect(messages('  Function:\n    Handler: index.handler\n    CodeUri: ../', bare)).toEqual([]);
  });

  it("takes what a nested type requires from SAM's schema, not the spec database's SAM part", () => {
    const onFailureOnly = `      EventInvokeConfig:
        MaximumRetryAttempts: 2
        DestinationConfig:
          OnFailure: { Type: SQS, Destination: arn:aws:sqs:us-east-1:123456789012:failures }`;
    const deadLetterWithoutTarget = '      DeadLetterQueue: { Type: SQS }';

    expect(messages(defaultGlobals, worker(onFailureOnly))).toEqual([]);
    expect(messages(defaultGlobals, worker(deadLetterWithoutTarget))).toEqual([
      expect.stringContaining('is missing the required property TargetArn'),
    ]);
  });

  it('requires a definition for a state machine', () => {
    const machine = '  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Type: STANDARD';

    expect(messages(defaultGlobals, machine)).toEqual([
      '8: Flow (AWS::Serverless::StateMachine) is missing Definition or DefinitionUri, which SAM requires',
    ]);
  });
});
