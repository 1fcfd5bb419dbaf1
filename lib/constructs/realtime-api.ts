import { CfnStage, WebSocketApi, WebSocketStage, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Stack, Validations } from 'aws-cdk-lib';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TokenFreeAccessLog, webSocketAccessLogFields } from './access-log';
import { acknowledgeWildcardResource } from './nag';

/** One WebSocket route: the function behind it and whether its result goes back to the caller. */
export interface RealtimeRoute {
  readonly handler: IFunction;
  /**
   * Return the integration's response to the client (acks, error frames).
   * Not allowed on `$connect`/`$disconnect`.
   * @default false
   */
  readonly returnResponse?: boolean;
}

export interface RealtimeApiProps {
  /** Route key → route; `$connect`, `$disconnect` and `$default` are the predefined keys. */
  readonly routes: Readonly<Record<string, RealtimeRoute>>;
  /**
   * @default '$request.body.action'
   */
  readonly routeSelectionExpression?: string;
  /**
   * @default - `{stackName}-realtime`
   */
  readonly apiName?: string;
  /**
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Stage-wide throttling, applied to every route.
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
}

const PREDEFINED_ROUTES = new Set(['$connect', '$disconnect']);

/**
 * The API Gateway WebSocket API: routes, one auto-deployed stage with
 * throttling and token-free JSON access logs, data tracing off (it would log
 * whole messages and the `$connect` request).
 *
 * @example
 * const realtime = new RealtimeApi(this, 'RealtimeApi', {
 *   routes: { $connect: { handler: connectFn }, $default: { handler: actionsFn, returnResponse: true } },
 * });
 * realtime.grantPostToConnections(fanOutFn);
 */
export class RealtimeApi extends Construct {
  public readonly api: WebSocketApi;
  public readonly stage: WebSocketStage;
  public readonly accessLog: TokenFreeAccessLog;
  private readonly routeKeys: string[] = [];

  constructor(scope: Construct, id: string, props: RealtimeApiProps) {
    super(scope, id);
    const routeEntries = Object.entries(props.routes);
    if (routeEntries.length === 0) {
      throw new Error('RealtimeApi needs at least one route, got none');
    }

    this.api = new WebSocketApi(this, 'Resource', {
      apiName: props.apiName ?? `${Stack.of(this).stackName}-realtime`,
      routeSelectionExpression: props.routeSelectionExpression ?? '$request.body.action',
      description: 'lettera-realtime WebSocket API',
    });
    for (const [routeKey, route] of routeEntries) {
      this.addRoute(routeKey, route);
    }

    this.accessLog = new TokenFreeAccessLog(this, 'AccessLog', {
      fields: webSocketAccessLogFields,
      retention: props.accessLogRetention,
    });
    const throttle = props.throttle ?? { rateLimit: 1000, burstLimit: 2000 };
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName ?? 'prod',
      autoDeploy: true,
      throttle,
      accessLogSettings: this.accessLog.settings,
    });
    // The L2 has no switch for data tracing; say "off" explicitly so that a
    // console change shows up as drift. Execution logging stays off too.
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.defaultRouteSettings = {
      dataTraceEnabled: false,
      throttlingRateLimit: throttle.rateLimit,
      throttlingBurstLimit: throttle.burstLimit,
    };
  }

  /** Client URL, `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`. */
  public get url(): string {
    return this.stage.url;
  }

  /** The stage's `@connections` endpoint (`https://.../{stage}`), for `WS_CALLBACK_URL`. */
  public get callbackUrl(): string {
    return this.stage.callbackUrl;
  }

  /** Route keys in the order they were added. */
  public get routes(): readonly string[] {
    return [...this.routeKeys];
  }

  /**
   * Adds a route.
   *
   * @example
   * realtime.addRoute('message:send', { handler: actionsFn, returnResponse: true });
   */
  public addRoute(routeKey: string, route: RealtimeRoute): void {
    if (routeKey === '') {
      throw new Error('Route key must not be empty');
    }
    if (this.routeKeys.includes(routeKey)) {
      throw new Error(`Route "${routeKey}" is defined twice; known routes: ${this.routeKeys.join(', ')}`);
    }
    if (route.returnResponse && PREDEFINED_ROUTES.has(routeKey)) {
      throw new Error(`Route "${routeKey}" cannot return a response: API Gateway ignores the ${routeKey} integration's body`);
    }
    const integration = new WebSocketLambdaIntegration(`${routeId(routeKey)}Integration`, route.handler);
    const created = this.api.addRoute(routeKey, { integration, returnResponse: route.returnResponse ?? false });
    Validations.of(created).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        routeKey === '$connect'
          ? 'The $connect handler verifies the JWT with jose (from ?token= or Sec-WebSocket-Protocol, whose value it must also echo) and refuses the upgrade with 401; no authorizer can do both.'
          : `API Gateway runs authorizers on $connect only; "${routeKey}" is authorized by its handler from the identity stored at $connect.`,
    });
    this.routeKeys.push(routeKey);
  }

  /**
   * Lets `grantee` post to, read and delete connections of this stage only:
   * `execute-api:ManageConnections` on `{api}/{stage}/*\/@connections/*`,
   * never the API-wide wildcard.
   *
   * @example
   * realtime.grantPostToConnections(fanOutFn);
   */
  public grantPostToConnections(grantee: IGrantable): Grant {
    const grant = this.stage.grantManagementApiAccess(grantee);
    // Same ARN as grantManagementApiAccess builds: this stage, any method, any connection id.
    const apiArn = Stack.of(this.api).formatArn({ service: 'execute-api', resource: this.api.apiId });
    acknowledgeWildcardResource(
      grantee,
      `${apiArn}/${this.stage.stageName}/*/@connections/*`,
      `Connection ids exist only at run time; the wildcard is limited to the @connections API of stage "${this.stage.stageName}" of this WebSocket API.`,
    );
    return grant;
  }
}

/** `message:send` → `MessageSend`, `$connect` → `Connect`: a stable PascalCase construct id. */
function routeId(routeKey: string): string {
  return routeKey
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
