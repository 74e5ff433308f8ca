import type { RuleTarget } from './types';

/** A rule target as CloudFormation/SAM templates (and the PutTargets API) spell it. */
export interface CloudFormationTarget {
  Id: string;
  Arn: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
}

/** Converts a template's PascalCase target into the camelCase RuleTarget that LocalEventBus.putRule takes. */
export function fromCloudFormationTarget(target: CloudFormationTarget): RuleTarget {
  const { Id, Arn, Input, InputPath, InputTransformer, RetryPolicy } = target;
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
  };
}
