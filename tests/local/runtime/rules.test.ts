import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalEventBus } from '../../../local/eventbridge';
import { collectRules } from '../../../local/runtime/rules';
import { parseTemplate, resolveStack, TemplateError } from '../../../local/template';

const FILE = 'templates/rules.yaml';

function stackFrom(resources: string) {
  const text = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
${resources}`;
  const { template, resourceLines } = parseTemplate(text, FILE);
  return resolveStack({
    template,
    resourceLines,
    fileName: FILE,
    stackName: 'rules',
    region: 'eu-west-1',
    accountId: '123456789012',
  });
}

function functionWithEvent(eventProperties: string): string {
  return `  ResizeFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: resize.handler
      CodeUri: .
      Events:
        Uploaded:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [happy-path.uploads]
${eventProperties}`;
}

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('rules from the templates', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rules-test-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('delivers the InputTransformer output of a SAM EventBridgeRule event to its function', async () => {
    // Arrange
    const stack = stackFrom(
      functionWithEvent(`            InputTransformer:
              InputPathsMap: { key: $.detail.key }
              InputTemplate: '{"photo": <key>, "rule": <aws.events.rule-name>}'`),
    );
    const delivered: Array<{ arn: string; input: string }> = [];
    const bus = new LocalEventBus({
      name: 'default',
      dataDir,
      deliver: (arn, input) => delivered.push({ arn, input }),
    });
    // Act
    for (const { rule } of collectRules([stack])) bus.putRule(rule);
    await bus.putEvents([
      { Source: 'happy-path.uploads', DetailType: 'uploadComplete', Detail: '{"key":"p/1.jpg"}' },
    ]);
    await bus.drain();
    // Assert
    expect(delivered).toEqual([
      {
        arn: stack.getAtt('ResizeFunction', 'Arn'),
        input: '{"photo": "p/1.jpg", "rule": "ResizeFunctionUploaded"}',
      },
    ]);
  });

  it('keeps the RetryPolicy and points DeadLetterConfig Type SQS at the queue SAM would create', () => {
    // Arrange
    const stack = stackFrom(
      functionWithEvent(`            RetryPolicy:
              MaximumEventAgeInSeconds: 86400
              MaximumRetryAttempts: 185
            DeadLetterConfig:
              Type: SQS`),
    );
    // Act
    const [found] = collectRules([stack]);
    // Assert
    expect(found?.rule.targets).toEqual([
      {
        id: 'ResizeFunctionUploadedLambdaTarget',
        arn: stack.getAtt('ResizeFunction', 'Arn'),
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
        deadLetterConfig: { arn: 'arn:aws:sqs:eu-west-1:123456789012:rules-ResizeFunctionUploadedQueue' },
      },
    ]);
  });

  it('refuses an event property it cannot honour, naming the template, resource and property', () => {
    // Arrange
    const stack = stackFrom(
      functionWithEvent(`            Target:
              Id: Resize
              SqsParameters: { MessageGroupId: g }`),
    );
    // Act
    const error = errorOf(() => collectRules([stack]));
    // Assert
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toMatch(
      /^templates\/rules\.yaml: Resources\.ResizeFunction\.Properties\.Events\.Uploaded\.Properties\.Target\.SqsParameters: SqsParameters is not supported by the local runtime/,
    );
  });

  it('refuses an AWS::Events::Rule target property it cannot honour, naming the target', () => {
    // Arrange
    const stack = stackFrom(`  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: { source: [happy-path.uploads] }
      Targets:
        - Id: Queue
          Arn: arn:aws:sqs:eu-west-1:123456789012:q
          SqsParameters: { MessageGroupId: g }`);
    // Act
    const error = errorOf(() => collectRules([stack]));
    // Assert
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toMatch(
      /^templates\/rules\.yaml: Resources\.Rule\.Properties\.Targets\[0\]\.SqsParameters: SqsParameters is not supported by the local EventBridge/,
    );
  });
});
