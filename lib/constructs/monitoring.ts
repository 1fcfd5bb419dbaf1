import { Duration } from 'aws-cdk-lib';
import type { IWebSocketApi, IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/commons/metric-names';

/** Thresholds of the alarms; each has a default with its reason in the README's operations section. */
export interface MonitoringThresholds {
  /**
   * Fan-out iterator age (oldest record not yet processed) that alarms, in ms.
   * A healthy fan-out keeps up within a second; a minute behind means every
   * user sees events a minute late.
   * @default 60_000
   */
  readonly iteratorAgeMs?: number;
  /**
   * Errors of one function in 5 minutes that alarm. Domain refusals are not
   * errors (they are answered); an error is a crash or a DynamoDB fault.
   * @default 5
   */
  readonly functionErrors?: number;
  /**
   * Share of recipients whose post still failed after the retries, over 5
   * minutes, that alarms (0.01 = 1%). Those recipients are disconnected and
   * recover by themselves, but a rising share means API Gateway limits.
   * @default 0.01
   */
  readonly deliveryFailureRatio?: number;
  /**
   * p99 integration latency of the APIs that alarms, in ms. The WebSocket
   * integration times out at 29 s; a second means users wait for acks.
   * @default 1000
   */
  readonly integrationLatencyP99Ms?: number;
  /**
   * Server errors (HTTP 5xx, WebSocket ExecutionError/IntegrationError) in 5 minutes that alarm.
   * @default 5
   */
  readonly apiServerErrors?: number;
  /**
   * Client errors (HTTP 4xx, WebSocket ClientError) in 5 minutes that alarm:
   * refused tokens and bad input are normal in small numbers, a flood is an
   * attack or a broken client release.
   * @default 500
   */
  readonly apiClientErrors?: number;
}

export interface MonitoringProps {
  /** Every function of the app, by logical name: errors and throttles alarm per function. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** The function on the table streams: its iterator age is the end-to-end lag. */
  readonly fanOutFunction: IFunction;
  /** Where the stream mappings send the records they gave up on. */
  readonly onFailureQueue: IQueue;
  readonly webSocketApi: IWebSocketApi;
  readonly webSocketStageName: string;
  readonly httpApi: IHttpApi;
  readonly tables: readonly ITable[];
  /**
   * Topic every alarm notifies (alarm and back to OK).
   * @default - alarms without actions (they still show on the dashboard and in the console)
   */
  readonly alarmTopic?: ITopic;
  /** @default - the defaults of MonitoringThresholds */
  readonly thresholds?: MonitoringThresholds;
  /**
   * @default - `{stackName}-realtime`
   */
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms and one dashboard for the delivery path, top to bottom: API Gateway
 * (connections, actions, HTTP), the functions, DynamoDB, the stream fan-out
 * (lag, recipients, posts) and the on-failure queue. Custom metrics come
 * from the functions' embedded metric format lines (`metric-names.ts`).
 *
 * @example
 * const monitoring = new Monitoring(this, 'Monitoring', { functions, fanOutFunction, onFailureQueue, webSocketApi,
 *   webSocketStageName: 'prod', httpApi, tables, alarmTopic: new Topic(this, 'Alarms') });
 * monitoring.alarms.forEach((alarm) => console.log(alarm.node.id));
 */
export class Monitoring extends Construct {
  public readonly alarms: Alarm[] = [];
  public readonly dashboard: Dashboard;
  private readonly alarmTopic?: ITopic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.alarmTopic = props.alarmTopic;
    const t = resolveThresholds(props.thresholds);

    const iteratorAge = props.fanOutFunction.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) });
    this.addAlarm('FanOutIteratorAge', iteratorAge, t.iteratorAgeMs, 'The fan-out is falling behind its streams: events reach users late.', 5);

    const onFailure = props.onFailureQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) });
    this.addAlarm('OnFailureRecords', onFailure, 1, 'Stream records reached the on-failure queue: the fan-out gave up on them; clients recover them by their gap rule, inspect and replay.');

    for (const [name, fn] of Object.entries(props.functions)) {
      this.addAlarm(`${pascal(name)}Errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), t.functionErrors, `The ${name} function is failing.`);
      this.addAlarm(`${pascal(name)}Throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), 1, `The ${name} function is throttled (account or reserved concurrency).`);
    }

    const ws = (metricName: string, statistic = 'Sum'): Metric =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.webSocketApi.apiId, Stage: props.webSocketStageName },
        statistic,
        period: PERIOD,
      });
    const wsServerErrors = new MathExpression({
      expression: 'execution + integration',
      usingMetrics: { execution: ws('ExecutionError'), integration: ws('IntegrationError') },
      label: 'WebSocket server errors',
      period: PERIOD,
    });
    this.addAlarm('WebSocketServerErrors', wsServerErrors, t.apiServerErrors, 'The WebSocket API answers with server errors.');
    this.addAlarm('WebSocketClientErrors', ws('ClientError'), t.apiClientErrors, 'Many WebSocket requests are refused (4xx): an attack or a broken client release.');
    this.addAlarm('WebSocketIntegrationLatency', ws('IntegrationLatency', 'p99'), t.integrationLatencyP99Ms, 'WebSocket actions are slow to answer.');

    const httpServerErrors = props.httpApi.metricServerError({ period: PERIOD, statistic: 'Sum' });
    const httpClientErrors = props.httpApi.metricClientError({ period: PERIOD, statistic: 'Sum' });
    const httpLatency = props.httpApi.metricIntegrationLatency({ period: PERIOD, statistic: 'p99' });
    this.addAlarm('HttpServerErrors', httpServerErrors, t.apiServerErrors, 'The HTTP API answers with 5xx.');
    this.addAlarm('HttpClientErrors', httpClientErrors, t.apiClientErrors, 'Many HTTP API requests are refused (4xx): an attack or a broken client release.');
    this.addAlarm('HttpIntegrationLatency', httpLatency, t.integrationLatencyP99Ms, 'HTTP API requests are slow to answer.');

    // One expression per kind: an alarm's math expression takes at most 10 metrics, and there are 6 tables.
    const throttlesOf = (kind: 'Read' | 'Write'): MathExpression => {
      const metrics: Record<string, IMetric> = {};
      props.tables.forEach((table, index) => {
        metrics[`${kind.toLowerCase()}${index}`] = table.metric(`${kind}ThrottleEvents`, { period: PERIOD, statistic: 'Sum' });
      });
      return new MathExpression({ expression: Object.keys(metrics).join(' + '), usingMetrics: metrics, label: `DynamoDB ${kind.toLowerCase()} throttle events`, period: PERIOD });
    };
    const readThrottles = throttlesOf('Read');
    const writeThrottles = throttlesOf('Write');
    this.addAlarm('DynamoDbReadThrottles', readThrottles, 1, 'DynamoDB throttled reads (on-demand tables: a sudden peak or a hot key).');
    this.addAlarm('DynamoDbWriteThrottles', writeThrottles, 1, 'DynamoDB throttled writes (on-demand tables: a sudden peak or a hot key).');

    const custom = (metricName: string, statistic = 'Sum'): Metric =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic, period: PERIOD });
    const failureRatio = new MathExpression({
      expression: 'IF(posted + failed > 0, failed / (posted + failed), 0)',
      usingMetrics: { posted: custom(METRIC.deliveriesPosted), failed: custom(METRIC.deliveriesFailed) },
      label: 'Delivery failure ratio',
      period: PERIOD,
    });
    this.addAlarm('DeliveryFailureRatio', failureRatio, t.deliveryFailureRatio, 'A share of recipients could not be posted to after retries.');

    this.dashboard = new Dashboard(this, 'Dashboard', {
      ...(props.dashboardName !== undefined && { dashboardName: props.dashboardName }),
      widgets: [
        [new TextWidget({ markdown: '# lettera-realtime: the delivery path, top to bottom', width: 24, height: 1 })],
        [
          graph('Connections', [ws('ConnectCount'), custom(METRIC.connectionsOpened), custom(METRIC.connectionsClosed)]),
          graph('WebSocket actions', [ws('MessageCount'), ws('ClientError'), wsServerErrors]),
          graph('HTTP API', [props.httpApi.metricCount({ period: PERIOD }), httpClientErrors, httpServerErrors]),
          graph('Integration latency p99 (ms)', [ws('IntegrationLatency', 'p99'), httpLatency]),
        ],
        [
          graph('Messages', [custom(METRIC.messagesAccepted), custom(METRIC.messagesRefused)]),
          graph('Function errors', Object.values(props.functions).map((fn) => fn.metricErrors({ period: PERIOD }))),
          graph('DynamoDB throttles', [readThrottles, writeThrottles]),
          graph('Stream lag (ms)', [iteratorAge, custom(METRIC.streamRecordAge, 'p99')]),
        ],
        [
          graph('Deliveries', [
            custom(METRIC.deliveriesPosted),
            custom(METRIC.deliveriesGone),
            custom(METRIC.deliveriesFailed),
            custom(METRIC.deliveriesThrottled),
          ]),
          graph('Recipients per broadcast', [custom(METRIC.broadcastRecipients, 'Average'), custom(METRIC.broadcastRecipients, 'Maximum')]),
          graph('Fan-out time per record (ms)', [custom(METRIC.fanOutRecordDuration, 'p50'), custom(METRIC.fanOutRecordDuration, 'p99')]),
          graph('Failure ratio and on-failure queue', [failureRatio, onFailure]),
        ],
      ],
    });
  }

  private addAlarm(id: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means no traffic (or no failures): not an alarm.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    this.alarms.push(alarm);
    if (this.alarmTopic !== undefined) {
      alarm.addAlarmAction(new SnsAction(this.alarmTopic));
      alarm.addOkAction(new SnsAction(this.alarmTopic));
    }
  }
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 6, height: 6 });
}

function resolveThresholds(given: MonitoringThresholds = {}): Required<MonitoringThresholds> {
  const resolved: Required<MonitoringThresholds> = {
    iteratorAgeMs: given.iteratorAgeMs ?? 60_000,
    functionErrors: given.functionErrors ?? 5,
    deliveryFailureRatio: given.deliveryFailureRatio ?? 0.01,
    integrationLatencyP99Ms: given.integrationLatencyP99Ms ?? 1000,
    apiServerErrors: given.apiServerErrors ?? 5,
    apiClientErrors: given.apiClientErrors ?? 500,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`Monitoring threshold ${name} must be a positive number, got ${JSON.stringify(value)}`);
    }
  }
  if (resolved.deliveryFailureRatio > 1) {
    throw new Error(`Monitoring threshold deliveryFailureRatio is a share (0..1], got ${resolved.deliveryFailureRatio}`);
  }
  return resolved;
}

function pascal(name: string): string {
  return name[0]!.toUpperCase() + name.slice(1);
}
