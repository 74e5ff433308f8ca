export type { CorsConfig } from './cors';
export {
  DEFAULT_AUDIENCE,
  DEFAULT_DATA_DIR,
  DEFAULT_ISSUER,
  type DevKeys,
  type DevTokenOptions,
  devKeyPath,
  loadOrCreateDevKeys,
  signDevToken,
  signWithDevKeys,
  verifier,
} from './dev-keys';
export type { HttpApiEvent, JwtAuthorizerContext } from './event';
export type { JWTPayload } from './jwt';
export type { JwtAuthorizerConfig } from './jwt-authorizer';
export { InvalidRouteError } from './routes';
export {
  DEFAULT_MAX_BODY_BYTES,
  HttpApiConfigurationError,
  type HttpApiInvocationContext,
  type HttpApiRoute,
  type LocalHttpApi,
  type LocalHttpApiOptions,
  startLocalHttpApi,
} from './server';
