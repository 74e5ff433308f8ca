import {
  type CloudFormationTarget,
  fromCloudFormationTarget,
  type RuleDefinition,
  UnsupportedTargetPropertyError,
} from '../eventbridge';
import { ruleTargetPrincipalName, samRuleArn } from '../iam';
import { type ResolvedStack, TemplateError } from '../template';
import { isRecord } from '../template/types';

/**
 * The EventBridge rules of the templates: AWS::Events::Rule resources, and the rules SAM generates
 * for `EventBridgeRule`/`CloudWatchEvent` events of functions and state machines. A SAM event is
 * turned into the AWS::Events::Rule target SAM would generate, then built like any other target,
 * so both honour the same properties and refuse, by template and property, what the local bus
 * cannot do.
 */

/** A rule and the bus it belongs on. */
export interface TemplateRule {
  busName: string;
  rule: RuleDefinition;
  /** Where the rule comes from, for errors: `templates/x.yaml: Resources.Fn.Properties.Events.E`. */
  fileName: string;
  path: string;
  /**
   * The rule's ARN as CloudFormation names it: the `aws:SourceArn` the Lambda permissions SAM adds
   * for the rule expect when EventBridge invokes a function.
   */
  ruleArn: string;
  /**
   * Target id → the IAM principal (kind `eventRuleTarget`) a state machine target starts its
   * executions as: the role SAM gives the rule of a state machine's EventBridgeRule event, or the
   * target's RoleArn.
   */
  targetPrincipals: Record<string, string>;
}

type Properties = Record<string, unknown>;

/** SAM EventBridgeRule (and legacy CloudWatchEvent) properties the local runtime honours. */
const SAM_EVENT_PROPERTIES = new Set([
  'Pattern',
  'EventBusName',
  'Input',
  'InputPath',
  'InputTransformer',
  'RetryPolicy',
  'DeadLetterConfig',
  'RuleName',
  'State',
  'Enabled',
  'Target',
]);

const RULE_PROPERTIES = new Set([
  'EventPattern',
  'EventBusName',
  'Name',
  'State',
  'Targets',
  'Description',
  'RoleArn',
]);

function busNameOf(value: unknown): string {
  return (
    String(value ?? 'default')
      .split('/')
      .pop() || 'default'
  );
}

function refuse(fileName: string, path: string, detail: string): never {
  throw new TemplateError({ fileName, path }, detail);
}

function checkKnown(
  properties: Properties,
  known: ReadonlySet<string>,
  fileName: string,
  path: string,
): void {
  for (const key of Object.keys(properties)) {
    if (!known.has(key)) {
      refuse(
        fileName,
        `${path}.${key}`,
        `${key} is not supported by the local runtime (it supports ${[...known].join(', ')})`,
      );
    }
  }
}

function buildTarget(target: CloudFormationTarget, fileName: string, path: string) {
  try {
    return fromCloudFormationTarget(target);
  } catch (error) {
    if (error instanceof UnsupportedTargetPropertyError)
      refuse(fileName, `${path}.${error.property}`, error.message);
    throw error;
  }
}

/** The target SAM generates for an EventBridgeRule event (its AWS::Events::Rule `Targets[0]`). */
function samTarget(
  stack: ResolvedStack,
  ruleLogicalId: string,
  targetArn: string,
  isStateMachine: boolean,
  properties: Properties,
  fileName: string,
  path: string,
): CloudFormationTarget {
  const target = properties.Target;
  if (target !== undefined) {
    if (!isRecord(target)) refuse(fileName, `${path}.Target`, 'Target must be a mapping');
    checkKnown(target, new Set(['Id']), fileName, `${path}.Target`);
  }
  const id = isRecord(target) && typeof target.Id === 'string' ? target.Id : undefined;
  return {
    Id: id ?? `${ruleLogicalId}${isStateMachine ? 'StepFunctionsTarget' : 'LambdaTarget'}`,
    Arn: targetArn,
    ...(properties.Input === undefined ? {} : { Input: properties.Input as string }),
    ...(properties.InputPath === undefined ? {} : { InputPath: properties.InputPath as string }),
    ...(properties.InputTransformer === undefined
      ? {}
      : {
          InputTransformer: properties.InputTransformer as CloudFormationTarget['InputTransformer'] & object,
        }),
    ...(properties.RetryPolicy === undefined
      ? {}
      : { RetryPolicy: properties.RetryPolicy as CloudFormationTarget['RetryPolicy'] & object }),
    ...(properties.DeadLetterConfig === undefined
      ? {}
      : {
          DeadLetterConfig: {
            Arn: samDeadLetterQueueArn(stack, ruleLogicalId, properties.DeadLetterConfig, fileName, path),
          },
        }),
  };
}

/**
 * SAM's DeadLetterConfig: `Arn` of an existing queue, or `Type: SQS` (with an optional
 * `QueueLogicalId`, default `<rule logical id>Queue`) for a queue SAM creates in the stack.
 */
function samDeadLetterQueueArn(
  stack: ResolvedStack,
  ruleLogicalId: string,
  config: unknown,
  fileName: string,
  path: string,
): string {
  const where = `${path}.DeadLetterConfig`;
  if (!isRecord(config)) refuse(fileName, where, 'DeadLetterConfig must be a mapping');
  checkKnown(config, new Set(['Arn', 'Type', 'QueueLogicalId']), fileName, where);
  if (typeof config.Arn === 'string') {
    if (config.Type !== undefined)
      refuse(fileName, where, 'DeadLetterConfig takes either Arn or Type, not both');
    return config.Arn;
  }
  if (config.Type !== 'SQS') refuse(fileName, `${where}.Type`, "Type must be 'SQS' when no Arn is given");
  const queueLogicalId =
    typeof config.QueueLogicalId === 'string' ? config.QueueLogicalId : `${ruleLogicalId}Queue`;
  return `arn:${stack.partition}:sqs:${stack.region}:${stack.accountId}:${stack.stackName}-${queueLogicalId}`;
}

/** Every rule the templates declare, in template order. */
export function collectRules(stacks: readonly ResolvedStack[]): TemplateRule[] {
  const rules: TemplateRule[] = [];
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      const properties = (resource.properties ?? {}) as Properties;
      if (resource.type === 'AWS::Events::Rule') {
        const path = `Resources.${logicalId}.Properties`;
        if (!properties.EventPattern) continue;
        checkKnown(properties, RULE_PROPERTIES, stack.fileName, path);
        const targets = (
          Array.isArray(properties.Targets) ? properties.Targets : []
        ) as CloudFormationTarget[];
        rules.push({
          busName: busNameOf(properties.EventBusName),
          fileName: stack.fileName,
          path,
          ruleArn: String(stack.getAtt(logicalId, 'Arn')),
          targetPrincipals: Object.fromEntries(
            targets
              .filter((target) => typeof target.RoleArn === 'string')
              .map((target) => [target.Id, ruleTargetPrincipalName(logicalId, target.Id)]),
          ),
          rule: {
            name: String(resource.physicalId).split('/').pop() ?? logicalId,
            eventPattern: properties.EventPattern,
            state: (properties.State as 'ENABLED' | 'DISABLED' | undefined) ?? 'ENABLED',
            targets: targets.map((target, index) =>
              buildTarget(target, stack.fileName, `${path}.Targets[${index}]`),
            ),
          },
        });
        continue;
      }
      if (resource.type !== 'AWS::Serverless::Function' && resource.type !== 'AWS::Serverless::StateMachine')
        continue;
      const isStateMachine = resource.type === 'AWS::Serverless::StateMachine';
      const events = isRecord(properties.Events) ? properties.Events : {};
      for (const [eventId, event] of Object.entries(events)) {
        if (!isRecord(event) || (event.Type !== 'EventBridgeRule' && event.Type !== 'CloudWatchEvent'))
          continue;
        const path = `Resources.${logicalId}.Properties.Events.${eventId}.Properties`;
        const eventProperties = isRecord(event.Properties) ? event.Properties : {};
        checkKnown(eventProperties, SAM_EVENT_PROPERTIES, stack.fileName, path);
        const ruleLogicalId = `${logicalId}${eventId}`;
        const targetArn = isStateMachine
          ? String(resource.physicalId)
          : String(stack.getAtt(logicalId, 'Arn'));
        const target = samTarget(
          stack,
          ruleLogicalId,
          targetArn,
          isStateMachine,
          eventProperties,
          stack.fileName,
          path,
        );
        const disabled = eventProperties.State === 'DISABLED' || eventProperties.Enabled === false;
        rules.push({
          busName: busNameOf(eventProperties.EventBusName),
          fileName: stack.fileName,
          path,
          ruleArn: samRuleArn(stack, ruleLogicalId, eventProperties),
          targetPrincipals: isStateMachine ? { [target.Id]: ruleLogicalId } : {},
          rule: {
            name: typeof eventProperties.RuleName === 'string' ? eventProperties.RuleName : ruleLogicalId,
            eventPattern: eventProperties.Pattern,
            state: disabled ? 'DISABLED' : 'ENABLED',
            targets: [buildTarget(target, stack.fileName, path)],
          },
        });
      }
    }
  }
  return rules;
}
