import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, type IAccessLogSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * `$context` variables that can carry a bearer token or other secrets: the
 * request's headers and query string (the JWT travels in `?token=`, in
 * `Sec-WebSocket-Protocol` and in `Authorization`), and the identity and
 * authorizer fields derived from credentials. Only `identity.sourceIp` of
 * the identity fields is allowed.
 */
export const TOKEN_BEARING_CONTEXT_VARIABLE =
  /\$context\.(?:identity\.(?!sourceIp\b)|authorizer|authorize\.|authenticate\.|requestOverride|responseOverride|[A-Za-z.]*(?:header|querystring|querystrings)\b)/i;

/** Fields common to both APIs' access logs. */
const commonFields = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTimeEpoch',
  stage: '$context.stage',
  routeKey: '$context.routeKey',
  status: '$context.status',
  errorMessage: '$context.error.message',
  errorResponseType: '$context.error.responseType',
  sourceIp: '$context.identity.sourceIp',
} as const;

/** WebSocket stage fields: per-message, with the connection and the integration result. */
export const webSocketAccessLogFields: Readonly<Record<string, string>> = {
  ...commonFields,
  eventType: '$context.eventType',
  connectionId: '$context.connectionId',
  messageId: '$context.messageId',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integration.error',
};

/** HTTP stage fields: the route key is the template (`GET /chats/{chatId}/messages`), never the raw path or query. */
export const httpAccessLogFields: Readonly<Record<string, string>> = {
  ...commonFields,
  httpMethod: '$context.httpMethod',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
};

/**
 * A one-line JSON access-log format. Refuses, at synth time, any `$context`
 * variable that could write a token into the logs.
 *
 * @example
 * tokenFreeAccessLogFormat({ requestId: '$context.requestId', routeKey: '$context.routeKey' });
 */
export function tokenFreeAccessLogFormat(fields: Readonly<Record<string, string>>): AccessLogFormat {
  for (const [name, value] of Object.entries(fields)) {
    if (!/^\$context\.[A-Za-z.]+$/.test(value)) {
      throw new Error(`Access log field "${name}" must be a single $context variable, got ${JSON.stringify(value)}`);
    }
    if (TOKEN_BEARING_CONTEXT_VARIABLE.test(value)) {
      throw new Error(`Access log field "${name}" may record a token (headers, query string, identity or authorizer data), got ${JSON.stringify(value)}`);
    }
  }
  return AccessLogFormat.custom(JSON.stringify(fields));
}

export interface TokenFreeAccessLogProps {
  /** The `$context` fields to record, by JSON key. */
  readonly fields: Readonly<Record<string, string>>;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly retention?: RetentionDays;
}

/**
 * A log group plus the access-log settings of an API Gateway v2 stage that
 * writes to it in a token-free JSON format.
 *
 * @example
 * const log = new TokenFreeAccessLog(this, 'AccessLog', { fields: webSocketAccessLogFields });
 * new WebSocketStage(this, 'Stage', { webSocketApi, stageName: 'prod', accessLogSettings: log.settings });
 */
export class TokenFreeAccessLog extends Construct {
  public readonly logGroup: LogGroup;
  public readonly settings: IAccessLogSettings;

  constructor(scope: Construct, id: string, props: TokenFreeAccessLogProps) {
    super(scope, id);
    const format = tokenFreeAccessLogFormat(props.fields);
    this.logGroup = new LogGroup(this, 'Resource', {
      retention: props.retention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.settings = { destination: new LogGroupLogDestination(this.logGroup), format };
  }
}
