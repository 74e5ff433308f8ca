import type { RuleTarget } from './types';

/** A rule target as CloudFormation/SAM templates (and the PutTargets API) spell it. */
export interface CloudFormationTarget {
  Id: string;
  Arn: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  /** Accepted and ignored: IAM is not enforced locally. */
  RoleArn?: string;
}

/** A target property the local EventBridge cannot honour (e.g. SqsParameters, EcsParameters). */
export class UnsupportedTargetPropertyError extends Error {
  /** The property's path inside the target, e.g. `EcsParameters` or `DeadLetterConfig.Arn`. */
  readonly property: string;

  constructor(property: string, detail: string) {
    super(`${property} ${detail}`);
    this.name = 'UnsupportedTargetPropertyError';
    this.property = property;
  }
}

const TARGET_PROPERTIES = new Set([
  'Id',
  'Arn',
  'Input',
  'InputPath',
  'InputTransformer',
  'RetryPolicy',
  'DeadLetterConfig',
  'RoleArn',
]);
const INPUT_TRANSFORMER_PROPERTIES = new Set(['InputPathsMap', 'InputTemplate']);
const RETRY_POLICY_PROPERTIES = new Set(['MaximumRetryAttempts', 'MaximumEventAgeInSeconds']);

function refuseUnknown(value: unknown, known: ReadonlySet<string>, prefix: string): void {
  if (typeof value !== 'object' || value === null) return;
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      throw new UnsupportedTargetPropertyError(
        `${prefix}${key}`,
        'is not supported by the local EventBridge (it supports Input, InputPath, InputTransformer, RetryPolicy and DeadLetterConfig)',
      );
    }
  }
}

/**
 * Converts a template's PascalCase target into the camelCase RuleTarget that LocalEventBus.putRule
 * takes. Throws UnsupportedTargetPropertyError for a property the local bus would otherwise drop.
 */
export function fromCloudFormationTarget(target: CloudFormationTarget): RuleTarget {
  refuseUnknown(target, TARGET_PROPERTIES, '');
  refuseUnknown(target.InputTransformer, INPUT_TRANSFORMER_PROPERTIES, 'InputTransformer.');
  refuseUnknown(target.RetryPolicy, RETRY_POLICY_PROPERTIES, 'RetryPolicy.');
  refuseUnknown(target.DeadLetterConfig, new Set(['Arn']), 'DeadLetterConfig.');
  const { Id, Arn, Input, InputPath, InputTransformer, RetryPolicy, DeadLetterConfig } = target;
  if (DeadLetterConfig !== undefined && typeof DeadLetterConfig.Arn !== 'string') {
    throw new UnsupportedTargetPropertyError('DeadLetterConfig.Arn', 'must be the ARN of an SQS queue');
  }
  return {
    id: Id,
    arn: Arn,
    ...(Input === undefined ? {} : { input: Input }),
    ...(InputPath === undefined ? {} : { inputPath: InputPath }),
    ...(InputTransformer === undefined
      ? {}
      : {
          inputTransformer: {
            inputTemplate: InputTransformer.InputTemplate,
            ...(InputTransformer.InputPathsMap === undefined
              ? {}
              : { inputPathsMap: InputTransformer.InputPathsMap }),
          },
        }),
    ...(RetryPolicy === undefined
      ? {}
      : {
          retryPolicy: {
            ...(RetryPolicy.MaximumRetryAttempts === undefined
              ? {}
              : { maximumRetryAttempts: RetryPolicy.MaximumRetryAttempts }),
            ...(RetryPolicy.MaximumEventAgeInSeconds === undefined
              ? {}
              : { maximumEventAgeInSeconds: RetryPolicy.MaximumEventAgeInSeconds }),
          },
        }),
    ...(DeadLetterConfig?.Arn === undefined ? {} : { deadLetterConfig: { arn: DeadLetterConfig.Arn } }),
  };
}
