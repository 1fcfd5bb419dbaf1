import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { TOKEN_BEARING_CONTEXT_VARIABLE, tokenFreeAccessLogFormat } from '../../lib/constructs/access-log';
import { RealtimeApi } from '../../lib/constructs/realtime-api';
import { ROUTE_SELECTION_EXPRESSION, routesReturningResponse, webSocketRoutes } from '../../lambdas/system/topology';
import { logicalIdOf, resourcesOfType, synthesize } from './helpers';

const { stack, template } = synthesize();
const apiId = logicalIdOf(stack, stack.realtime.api);
const routeKeys = Object.keys(webSocketRoutes);

function wsRoutes() {
  return Object.entries(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).filter(
    ([, route]) => JSON.stringify(route.Properties?.ApiId) === JSON.stringify({ Ref: apiId }),
  );
}

function wsStageFormat(): string {
  const stages = template.findResources('AWS::ApiGatewayV2::Stage', { Properties: { ApiId: { Ref: apiId } } });
  const [stageResource] = Object.values(stages) as { Properties: { AccessLogSettings: { Format: string } } }[];
  return stageResource!.Properties.AccessLogSettings.Format;
}

function bareStackWith(build: (stack: Stack, fn: LambdaFunction) => void): Stack {
  const bare = new Stack(new App(), 'Bare');
  const fn = new LambdaFunction(bare, 'Fn', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('exports.handler=()=>{}') });
  build(bare, fn);
  return bare;
}

describe('Construct: RealtimeApi', () => {
  it('selects routes by $request.body.action', () => {
    // THEN
    expect(ROUTE_SELECTION_EXPRESSION).toBe('$request.body.action');
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it.each(routeKeys)('has the route %s, integrated with its topology function', (routeKey) => {
    // GIVEN
    const fnName = webSocketRoutes[routeKey as keyof typeof webSocketRoutes];
    const fnId = logicalIdOf(stack, stack.functions[fnName]);
    // THEN
    const matches = wsRoutes().filter(([, route]) => route.Properties?.RouteKey === routeKey);
    expect(matches).toHaveLength(1);
    const target = JSON.stringify(matches[0]![1].Properties?.Target);
    const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1];
    const integration = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration')[integrationId!];
    expect(integration?.Properties).toMatchObject({ ApiId: { Ref: apiId }, IntegrationType: 'AWS_PROXY' });
    expect(JSON.stringify(integration?.Properties?.IntegrationUri)).toContain(fnId);
  });

  it('has exactly the topology routes, no more', () => {
    // THEN
    expect(wsRoutes().map(([, route]) => route.Properties?.RouteKey).sort()).toEqual([...routeKeys].sort());
  });

  it.each(routesReturningResponse)('returns the integration response to the client on %s (acks and error frames)', (routeKey) => {
    // GIVEN
    const [[routeId]] = wsRoutes().filter(([, route]) => route.Properties?.RouteKey === routeKey) as [[string, unknown]];
    // THEN
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, RouteResponseSelectionExpression: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::RouteResponse', { RouteId: { Ref: routeId }, RouteResponseKey: '$default' });
  });

  it('has no route response on routes that do not return one', () => {
    // GIVEN
    const silent = routeKeys.filter((key) => !routesReturningResponse.includes(key as never));
    // THEN
    expect(silent).toEqual(expect.arrayContaining(['$connect', '$disconnect']));
    const responseRouteIds = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::RouteResponse')).map((r) => JSON.stringify(r.Properties?.RouteId));
    for (const [routeId, route] of wsRoutes()) {
      if (silent.includes(route.Properties?.RouteKey as string)) {
        expect(responseRouteIds).not.toContain(JSON.stringify({ Ref: routeId }));
      }
    }
  });

  it('deploys one stage with data tracing off and throttling', () => {
    // THEN
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: apiId },
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: { DataTraceEnabled: false, ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
    });
  });

  it('writes access logs as JSON with the request id, route, connection and outcome', () => {
    // WHEN
    const format = JSON.parse(wsStageFormat()) as Record<string, string>;
    // THEN
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      eventType: '$context.eventType',
      connectionId: '$context.connectionId',
      status: '$context.status',
      integrationError: '$context.integration.error',
    });
  });

  it('keeps tokens out of the access logs: no header, query string, identity (but sourceIp) or authorizer field', () => {
    // WHEN
    const format = wsStageFormat();
    const variables = format.match(/\$[A-Za-z.]+/g) ?? [];
    // THEN
    expect(variables.length).toBeGreaterThan(5);
    for (const variable of variables) {
      expect(variable).toMatch(/^\$context\./);
      expect(variable).not.toMatch(/header|querystring|authorizer|requestOverride/i);
      if (variable.startsWith('$context.identity.')) expect(variable).toBe('$context.identity.sourceIp');
    }
  });

  it.each([
    '$context.identity.caller',
    '$context.identity.user',
    '$context.identity.cognitoIdentityId',
    '$context.authorizer.principalId',
    '$context.requestOverride.header.Authorization',
    '$request.querystring.token',
    '$input.params().querystring',
  ])('refuses the token-bearing access-log field %s at synth time', (variable) => {
    // WHEN / THEN
    expect(() => tokenFreeAccessLogFormat({ requestId: '$context.requestId', leak: variable })).toThrow(/may record a token|single \$context variable/);
  });

  it('treats $context.identity.sourceIp as token-free', () => {
    // THEN
    expect(TOKEN_BEARING_CONTEXT_VARIABLE.test('$context.identity.sourceIp')).toBe(false);
  });

  it('grants ManageConnections on its own stage only', () => {
    // GIVEN
    const bare = bareStackWith((scope, fn) => {
      const api = new RealtimeApi(scope, 'Api', { routes: { $default: { handler: fn, returnResponse: true } }, stageName: 'live' });
      // WHEN
      api.grantPostToConnections(fn);
    });
    // THEN
    Template.fromStack(bare).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'execute-api:ManageConnections',
            Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^/live/\\*/@connections/\\*$')])] },
          }),
        ]),
      },
    });
  });

  it('refuses a route twice, returnResponse on $connect, and an empty route table', () => {
    // THEN
    expect(() =>
      bareStackWith((scope, fn) => {
        const api = new RealtimeApi(scope, 'Api', { routes: { $default: { handler: fn } } });
        api.addRoute('$default', { handler: fn });
      }),
    ).toThrow(/Route "\$default" is defined twice/);
    expect(() => bareStackWith((scope, fn) => new RealtimeApi(scope, 'Api', { routes: { $connect: { handler: fn, returnResponse: true } } }))).toThrow(
      /cannot return a response/,
    );
    expect(() => bareStackWith((scope) => new RealtimeApi(scope, 'Api', { routes: {} }))).toThrow(/at least one route/);
  });
});
