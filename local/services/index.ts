/**
 * Local stand-ins for SES (v1), SNS, Secrets Manager, SSM Parameter Store and Rekognition,
 * speaking the wire protocols of the AWS SDK v3 clients. See README.md.
 */

export { createCloudFrontHandler, isCloudFrontRequest } from './cloudfront';
export {
  type DeclaredLabelsOptions,
  DeclaredLabelsVisionEngine,
  declareLabels,
  type LabelDeclaration,
  readLabelDeclaration,
} from './declared-labels';
export { ServiceError } from './errors';
export {
  type BodyListener,
  type GuardOptions,
  guarded,
  guardServer,
  replayed,
  runtimeFacts,
} from './guard';
export {
  type EmailOutboxMessage,
  type OutboxMessage,
  outboxDirectory,
  readOutbox,
  type SnsMessageAttribute,
  type SnsOutboxMessage,
} from './outbox';
export { fromGenerateSecretString, type SecretGenerationSpec } from './password';
export type { ReadObject } from './rekognition';
export {
  createServicesHandler,
  identifyService,
  type RequestListener,
  type ServiceName,
  type ServicesOptions,
} from './router';
export { type SecretDeclaration, secretsFilePath } from './secrets';
export type { TopicDeclaration } from './sns';
export { type ParameterDeclaration, type ParameterType, parameterArn } from './ssm';
export type {
  BoundingBox,
  DetectLabelsOptions,
  DetectLabelsResult,
  DetectModerationLabelsResult,
  Label,
  LabelFilters,
  LabelInstance,
  ModerationLabel,
  VisionEngine,
} from './vision';
export { filterLabels, selectLabels, selectModerationLabels } from './vision';
