import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpStage, type HttpRoute, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TokenFreeAccessLog, VENDED_LOGS_PREFIX, httpAccessLogFields } from './access-log';

/** A route as `topology.httpRoutes` lists it. */
export interface ChatHttpRoute {
  readonly method: keyof typeof HttpMethod;
  readonly path: string;
}

/** CORS settings as `topology.httpCors` gives them (the local HTTP API reads the same). */
export interface ChatHttpCors {
  readonly allowMethods: readonly (keyof typeof CorsHttpMethod)[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

export interface ChatHttpApiProps {
  /** The one function that serves every route (it verifies the JWT itself). */
  readonly handler: IFunction;
  readonly routes: readonly ChatHttpRoute[];
  /** API Gateway answers preflights and adds these headers; the function's own CORS headers would be ignored. */
  readonly cors: ChatHttpCors;
  /** Browser origins allowed by CORS, exact match (the frontend's URL). */
  readonly allowedOrigins: readonly string[];
  /**
   * Routes authorized with IAM (SigV4) instead of a bearer token, with the
   * function behind them: the publisher's. API Gateway refuses unsigned and
   * wrongly signed calls before the function runs.
   * @default - none
   */
  readonly iamRoutes?: { readonly routes: readonly ChatHttpRoute[]; readonly handler: IFunction };
  /**
   * @default - `{stackName}-http`
   */
  readonly apiName?: string;
  /**
   * @default { rateLimit: 500, burstLimit: 1000 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
}

/**
 * The HTTP API for chats and messages: every route goes to one Lambda
 * (payload format 2.0), CORS for the frontend's origin only, a `$default`
 * stage with throttling and token-free JSON access logs.
 *
 * Authentication happens in the function (jose): HTTP API JWT authorizers
 * only verify RS256/ES256 tokens from an OIDC issuer, while this service's
 * tokens are HS256 with a shared secret by default, and a Lambda authorizer
 * would run the same verification in a second cold-startable function.
 *
 * @example
 * const http = new ChatHttpApi(this, 'HttpApi', { handler, routes: httpRoutes, cors: httpCors, allowedOrigins: ['https://app.example'] });
 */
export class ChatHttpApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLog: TokenFreeAccessLog;
  /** The IAM-authorized routes (`iamRoutes`). */
  public readonly iamRoutes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: ChatHttpApiProps) {
    super(scope, id);
    if (props.routes.length === 0) {
      throw new Error('ChatHttpApi needs at least one route, got none');
    }
    for (const origin of props.allowedOrigins) {
      if (origin === '*' || !/^https?:\/\/[^/]+$/.test(origin)) {
        throw new Error(`Allowed origin must be a scheme and host without a path or wildcard (e.g. https://app.example.com), got ${JSON.stringify(origin)}`);
      }
    }

    const apiName = props.apiName ?? `${Stack.of(this).stackName}-http`;
    this.api = new HttpApi(this, 'Resource', {
      apiName,
      description: 'lettera-realtime chats and messages',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [...props.allowedOrigins],
        allowMethods: props.cors.allowMethods.map((method) => CorsHttpMethod[method]),
        allowHeaders: [...props.cors.allowHeaders],
        exposeHeaders: [...props.cors.exposeHeaders],
        maxAge: Duration.seconds(props.cors.maxAgeSeconds),
      },
    });

    const integration = new HttpLambdaIntegration('Integration', props.handler);
    for (const route of props.routes) {
      for (const created of this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration })) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'HS256 tokens signed with a shared secret cannot be checked by an HTTP API JWT authorizer (OIDC/JWKS only); the handler verifies every request with jose (algorithms pinned, exp required) before any data access.',
        });
      }
    }

    const iamRoutes: HttpRoute[] = [];
    if (props.iamRoutes !== undefined) {
      const iamIntegration = new HttpLambdaIntegration('IamIntegration', props.iamRoutes.handler);
      const authorizer = new HttpIamAuthorizer();
      for (const route of props.iamRoutes.routes) {
        iamRoutes.push(...this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration: iamIntegration, authorizer }));
      }
    }
    this.iamRoutes = iamRoutes;

    this.accessLog = new TokenFreeAccessLog(this, 'AccessLog', {
      fields: httpAccessLogFields,
      retention: props.accessLogRetention,
      // Under /aws/vendedlogs/ so the account's CloudWatch Logs resource policy does not grow per API.
      logGroupName: `${VENDED_LOGS_PREFIX}apigateway/${apiName.replace(/[^A-Za-z0-9_.#-]/g, '-')}/access`,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 500, burstLimit: 1000 },
      accessLogSettings: this.accessLog.settings,
    });
  }

  /**
   * Lets `grantee` call the IAM-authorized routes (execute-api:Invoke on
   * those routes only, on every stage).
   *
   * @example
   * http.grantInvokeIamRoutes(backendFunction);
   */
  public grantInvokeIamRoutes(grantee: IGrantable): Grant[] {
    if (this.iamRoutes.length === 0) throw new Error('This HTTP API has no IAM-authorized routes to grant; pass iamRoutes');
    return this.iamRoutes.map((route) => route.grantInvoke(grantee));
  }

  /** Base URL, `https://{api}.execute-api.{region}.amazonaws.com/`. */
  public get url(): string {
    return this.stage.url;
  }
}
