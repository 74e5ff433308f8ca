export { TemplateError, type TemplateLocation } from './errors';
export { applySamGlobals } from './globals';
export type {
  ParameterType,
  ResolvedParameter,
  SsmParameterLookup,
  SsmParameterValue,
  SsmParameterValueType,
} from './parameters';
export { type ParsedTemplate, parseTemplate } from './parse';
export {
  type LoadedProject,
  type LoadProjectOptions,
  loadProject,
  ProjectError,
  type ProjectStack,
} from './project';
export {
  findStackLinks,
  type ResolvedOutput,
  type ResolvedResource,
  type ResolvedStack,
  type ResolveStackOptions,
  resolveStack,
  type StackLinks,
} from './resolve-stack';
export {
  bucketNameProblem,
  defaultResourceModel,
  type ResourceContext,
  type ResourceModel,
  type ResourceTypeModel,
  type ResourceValue,
} from './resource-model';
export {
  commandParameters,
  loadSamConfig,
  parameterOverridesFor,
  parseParameterOverrides,
  parseSamConfig,
  type SamConfig,
  SamConfigError,
  type SamConfigParameters,
} from './samconfig';
export type { TemplateDocument } from './types';
export { customTags } from './yaml-tags';
