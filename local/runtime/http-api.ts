import { type DevKeys, verifier } from '../api/dev-keys';
import { type HttpApiRoute, type LocalHttpApi, startLocalHttpApi } from '../api/server';
import type { AccessControl } from '../iam';
import type { ResolvedStack } from '../template';
import type { FunctionHost } from './function-host';

type Properties = Record<string, unknown>;

/**
 * Serves every `AWS::Serverless::HttpApi` of the loaded stacks on one local port: the routes of
 * the functions' `HttpApi` events, the API's JWT authorizer (tokens signed by the local dev key
 * must carry the template's issuer and audience) and its CORS configuration.
 */
export async function startHttpApis(options: {
  stacks: readonly ResolvedStack[];
  functions: FunctionHost;
  /**
   * API Gateway invokes a route's function only when the function's Lambda permissions allow
   * apigateway.amazonaws.com for the route (`aws:SourceArn`); absent, every route may.
   */
  access?: AccessControl;
  devKeys: DevKeys;
  host: string;
  port: number;
  log: (line: string) => void;
}): Promise<LocalHttpApi | undefined> {
  const apis = options.stacks.flatMap((stack) =>
    Object.entries(stack.resources)
      .filter(([, resource]) => resource.type === 'AWS::Serverless::HttpApi')
      .map(([logicalId, resource]) => ({
        stack,
        logicalId,
        id: String(resource.physicalId),
        properties: (resource.properties ?? {}) as Properties,
      })),
  );
  if (apis.length === 0) return undefined;
  if (apis.length > 1)
    options.log(`http api: ${apis.length} HTTP APIs found; serving all their routes on one port`);
  const api = apis[0] as (typeof apis)[number];
  const auth = (api.properties.Auth ?? {}) as {
    DefaultAuthorizer?: string;
    Authorizers?: Record<string, { JwtConfiguration?: { issuer?: string; audience?: string[] } }>;
  };
  const jwtConfig = auth.DefaultAuthorizer
    ? auth.Authorizers?.[auth.DefaultAuthorizer]?.JwtConfiguration
    : undefined;
  const cors = api.properties.CorsConfiguration as
    | {
        AllowOrigins?: string[];
        AllowMethods?: string[];
        AllowHeaders?: string[];
        ExposeHeaders?: string[];
        MaxAge?: number;
        AllowCredentials?: boolean;
      }
    | undefined;

  const routes: HttpApiRoute[] = [];
  for (const stack of options.stacks) {
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      if (resource.type !== 'AWS::Serverless::Function') continue;
      const events = ((resource.properties as Properties).Events ?? {}) as Record<
        string,
        { Type?: string; Properties?: Properties }
      >;
      for (const event of Object.values(events)) {
        if (event.Type !== 'HttpApi') continue;
        const properties = event.Properties ?? {};
        const routeAuth = properties.Auth as
          | { Authorizer?: string; AuthorizationScopes?: string[] }
          | undefined;
        const authorizer = routeAuth?.Authorizer;
        const functionName = String(resource.physicalId);
        const functionArn = String(stack.getAtt(logicalId, 'Arn'));
        const method = String(properties.Method ?? 'ANY').toUpperCase();
        // As API Gateway names the invoking route: <api>/<stage>/<METHOD><path>.
        const sourceArn = `arn:${stack.partition}:execute-api:${stack.region}:${stack.accountId}:${String(properties.ApiId ?? api.id)}/$default/${method}${String(properties.Path ?? '')}`;
        const mayInvoke = () => {
          const decision = options.access?.serviceMayInvoke(
            'apigateway.amazonaws.com',
            functionArn,
            sourceArn,
            {
              region: stack.region,
              accountId: stack.accountId,
            },
          );
          // API Gateway answers 500 when it may not invoke the integration.
          if (decision && !decision.allowed) throw new Error(decision.error.message);
        };
        routes.push({
          method: String(properties.Method ?? 'ANY').toUpperCase(),
          path: String(properties.Path ?? '$default'),
          authorization: authorizer === 'NONE' || !jwtConfig ? 'NONE' : 'JWT',
          ...(routeAuth?.AuthorizationScopes && {
            authorizationScopes: routeAuth.AuthorizationScopes.map(String),
          }),
          invoke: async (request) => {
            mayInvoke();
            return options.functions.invoke(functionName, request);
          },
        });
        options.log(
          `http api: ${String(properties.Method ?? 'ANY').toUpperCase()} ${String(properties.Path)} → ${logicalId}`,
        );
      }
    }
  }
  return startLocalHttpApi({
    host: options.host,
    port: options.port,
    routes,
    ...(jwtConfig?.issuer
      ? { jwt: verifier(options.devKeys, { issuer: jwtConfig.issuer, audience: jwtConfig.audience ?? [] }) }
      : {}),
    ...(cors
      ? {
          cors: {
            allowOrigins: cors.AllowOrigins ?? [],
            allowMethods: cors.AllowMethods ?? [],
            allowHeaders: cors.AllowHeaders ?? [],
            ...(cors.ExposeHeaders ? { exposeHeaders: cors.ExposeHeaders } : {}),
            ...(cors.MaxAge !== undefined ? { maxAge: Number(cors.MaxAge) } : {}),
            ...(cors.AllowCredentials !== undefined
              ? { allowCredentials: Boolean(cors.AllowCredentials) }
              : {}),
          },
        }
      : {}),
    log: (line) => options.log(`api: ${line}`),
  });
}
