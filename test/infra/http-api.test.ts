import { App, Stack } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ChatHttpApi } from '../../lib/constructs/http-api';
import { httpCors, httpRouteKeys, httpRoutes, publishRouteKeys } from '../../lambdas/system/topology';
import { FRONTEND_URL, logicalIdOf, resourcesOfType, synthesize } from './helpers';

const { stack, template } = synthesize();
const apiId = logicalIdOf(stack, stack.httpApi.api);

function routeResourcesOfApi() {
  return Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).filter(
    (route) => JSON.stringify(route.Properties?.ApiId) === JSON.stringify({ Ref: apiId }),
  );
}

/** The bearer-token routes (the publisher's are IAM-authorized). */
function httpRouteResources() {
  return routeResourcesOfApi().filter((route) => route.Properties?.AuthorizationType !== 'AWS_IAM');
}

function tryOrigin(origin: string): void {
  const scope = new Stack(new App(), 'Bare');
  const handler = new LambdaFunction(scope, 'Fn', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('exports.handler=()=>{}') });
  new ChatHttpApi(scope, 'Http', { handler, routes: httpRoutes, cors: httpCors, allowedOrigins: [origin] });
}

describe('Construct: ChatHttpApi', () => {
  it('has exactly the topology routes', () => {
    // THEN
    expect(httpRouteResources().map((route) => route.Properties?.RouteKey).sort()).toEqual([...httpRouteKeys].sort());
  });

  it('sends every route to the httpApi function through one integration', () => {
    // GIVEN
    const fnId = logicalIdOf(stack, stack.functions.httpApi);
    // WHEN
    const targets = new Set(httpRouteResources().map((route) => JSON.stringify(route.Properties?.Target)));
    const integrations = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Integration')).filter(
      (integration) =>
        JSON.stringify(integration.Properties?.ApiId) === JSON.stringify({ Ref: apiId }) &&
        !JSON.stringify(integration.Properties?.IntegrationUri).includes(logicalIdOf(stack, stack.functions.publish)),
    );
    // THEN
    expect(targets.size).toBe(1);
    expect(integrations).toHaveLength(1);
    expect(integrations[0]!.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    expect(JSON.stringify(integrations[0]!.Properties?.IntegrationUri)).toContain(fnId);
  });

  it('serves the publish routes with IAM authorization, by the publish function', () => {
    // GIVEN
    const publishFnId = logicalIdOf(stack, stack.functions.publish);
    // WHEN
    const iamRoutes = routeResourcesOfApi().filter((route) => route.Properties?.AuthorizationType === 'AWS_IAM');
    const [integration] = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Integration')).filter((candidate) =>
      JSON.stringify(candidate.Properties?.IntegrationUri).includes(publishFnId),
    );
    // THEN
    expect(iamRoutes.map((route) => route.Properties?.RouteKey)).toEqual([...publishRouteKeys]);
    expect(integration?.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('refuses to grant IAM routes it does not have', () => {
    // GIVEN
    const scope = new Stack(new App(), 'Bare');
    const handler = new LambdaFunction(scope, 'Fn', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('exports.handler=()=>{}') });
    const http = new ChatHttpApi(scope, 'Http', { handler, routes: httpRoutes, cors: httpCors, allowedOrigins: [FRONTEND_URL] });
    // THEN
    expect(() => http.grantInvokeIamRoutes(handler)).toThrow(/no IAM-authorized routes/);
  });

  it('allows CORS from the frontend origin only, with topology\'s CORS settings (the ones the local HTTP API uses)', () => {
    // THEN
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: [FRONTEND_URL],
        AllowMethods: [...httpCors.allowMethods],
        AllowHeaders: ['authorization', 'content-type'],
        ExposeHeaders: ['retry-after'],
        MaxAge: httpCors.maxAgeSeconds,
      },
    });
  });

  it('serves a $default stage with throttling and token-free JSON access logs', () => {
    // WHEN
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage', { Properties: { ApiId: { Ref: apiId } } })) as {
      Properties: { StageName: string; AutoDeploy: boolean; DefaultRouteSettings: Record<string, number>; AccessLogSettings: { Format: string } };
    }[];
    const format = JSON.parse(stage!.Properties.AccessLogSettings.Format) as Record<string, string>;
    // THEN
    expect(stage!.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true });
    expect(stage!.Properties.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' });
    for (const variable of Object.values(format)) {
      expect(variable).not.toMatch(/header|querystring|authorizer|\$context\.path/i);
      if (variable.startsWith('$context.identity.')) expect(variable).toBe('$context.identity.sourceIp');
    }
  });

  it('writes its access logs to a log group under /aws/vendedlogs/ (the account\'s CloudWatch Logs resource policy does not grow)', () => {
    // WHEN
    const logGroupId = logicalIdOf(stack, stack.httpApi.accessLog.logGroup);
    const logGroup = resourcesOfType(template, 'AWS::Logs::LogGroup')[logGroupId];
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage', { Properties: { ApiId: { Ref: apiId } } })) as {
      Properties: { AccessLogSettings: { DestinationArn: unknown } };
    }[];
    // THEN
    expect(logGroup?.Properties?.LogGroupName).toBe('/aws/vendedlogs/apigateway/LetteraRealtime-http/access');
    expect(JSON.stringify(stage!.Properties.AccessLogSettings.DestinationArn)).toContain(logGroupId);
  });

  it.each(['*', 'https://app.example.com/', 'app.example.com', 'https://*.example.com/x'])('refuses the CORS origin %j', (origin) => {
    // THEN
    expect(() => tryOrigin(origin)).toThrow(/Allowed origin must be a scheme and host/);
  });
});
