import { App, Stack } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE } from '../../lambdas/commons/metric-names';
import { functions } from '../../lambdas/system/topology';
import { logicalIdOf, resourcesOfType, synthesize } from './helpers';

const { stack, template } = synthesize();
const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');

/** The alarm whose logical id starts with the construct path Monitoring/<id>. */
function alarm(id: string): Record<string, unknown> {
  const found = Object.entries(alarms).find(([logicalId]) => logicalId.startsWith(`Monitoring${id}`));
  expect(found, `alarm ${id}`).toBeDefined();
  return found![1].Properties!;
}

describe('Construct: Monitoring', () => {
  it('alarms on the fan-out iterator age, a minute by default, over five 1-minute periods', () => {
    // THEN
    expect(alarm('FanOutIteratorAge')).toMatchObject({
      MetricName: 'IteratorAge',
      Namespace: 'AWS/Lambda',
      Statistic: 'Maximum',
      Threshold: 60_000,
      EvaluationPeriods: 5,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, stack.functions.fanOut) } }],
    });
  });

  it('alarms as soon as one record is on the on-failure queue', () => {
    // THEN
    expect(alarm('OnFailureRecords')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it.each(Object.keys(functions))('alarms on errors and throttles of the %s function', (name) => {
    // GIVEN
    const pascal = name[0]!.toUpperCase() + name.slice(1);
    const dimension = [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, stack.functions[name as keyof typeof functions]) } }];
    // THEN
    expect(alarm(`${pascal}Errors`)).toMatchObject({ MetricName: 'Errors', Dimensions: dimension, Threshold: 5 });
    expect(alarm(`${pascal}Throttles`)).toMatchObject({ MetricName: 'Throttles', Dimensions: dimension, Threshold: 1 });
  });

  it('alarms on WebSocket and HTTP API server errors, client errors and p99 integration latency', () => {
    // THEN
    expect(alarm('WebSocketClientErrors')).toMatchObject({ MetricName: 'ClientError', Namespace: 'AWS/ApiGateway', Threshold: 500 });
    expect(alarm('WebSocketIntegrationLatency')).toMatchObject({ MetricName: 'IntegrationLatency', ExtendedStatistic: 'p99', Threshold: 1000 });
    expect(JSON.stringify(alarm('WebSocketServerErrors').Metrics)).toContain('ExecutionError');
    expect(JSON.stringify(alarm('WebSocketServerErrors').Metrics)).toContain('IntegrationError');
    expect(alarm('HttpServerErrors')).toMatchObject({ MetricName: '5xx', Threshold: 5 });
    expect(alarm('HttpClientErrors')).toMatchObject({ MetricName: '4xx', Threshold: 500 });
    expect(alarm('HttpIntegrationLatency')).toMatchObject({ MetricName: 'IntegrationLatency', ExtendedStatistic: 'p99' });
  });

  it('alarms on DynamoDB read and write throttles of every table, one expression each (at most 10 metrics per expression)', () => {
    // WHEN
    const reads = JSON.stringify(alarm('DynamoDbReadThrottles').Metrics);
    const writes = JSON.stringify(alarm('DynamoDbWriteThrottles').Metrics);
    // THEN
    const tableCount = Object.keys(resourcesOfType(template, 'AWS::DynamoDB::Table')).length;
    expect(reads.match(/ReadThrottleEvents/g)).toHaveLength(tableCount);
    expect(writes.match(/WriteThrottleEvents/g)).toHaveLength(tableCount);
  });

  it('alarms on the share of failed deliveries from the custom metrics, never on a per-chat dimension', () => {
    // WHEN
    const metrics = alarm('DeliveryFailureRatio').Metrics as { MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string }[] } } }[];
    const custom = metrics.flatMap((m) => (m.MetricStat === undefined ? [] : [m.MetricStat.Metric]));
    // THEN
    expect(custom.map((m) => m.MetricName).sort()).toEqual([METRIC.deliveriesFailed, METRIC.deliveriesPosted].sort());
    expect(custom.every((m) => m.Namespace === METRICS_NAMESPACE)).toBe(true);
    expect(custom.flatMap((m) => m.Dimensions.map((d) => d.Name))).toEqual(['service', 'service']);
    expect(alarm('DeliveryFailureRatio').Threshold).toBe(0.01);
  });

  it('treats missing data as not breaching (no traffic is not an alarm)', () => {
    // THEN
    expect(Object.values(alarms).every((a) => a.Properties?.TreatMissingData === 'notBreaching')).toBe(true);
  });

  it('has no alarm action unless a topic or an email is given', () => {
    // THEN
    expect(Object.values(alarms).every((a) => a.Properties?.AlarmActions === undefined)).toBe(true);
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('notifies a new topic with an email subscription when alarmEmail is given', () => {
    // GIVEN
    const { template: withEmail } = synthesize({ alarmEmail: 'ops@example.com' });
    // THEN
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const actions = Object.values(resourcesOfType(withEmail, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties?.AlarmActions);
    expect(actions.every((a) => Array.isArray(a) && a.length === 1)).toBe(true);
  });

  it("notifies the user's own topic when alarmTopic is given", () => {
    // GIVEN
    const arn = 'arn:aws:sns:eu-west-1:111111111111:ops-alarms';
    const topic = Topic.fromTopicArn(new Stack(new App(), 'Shared'), 'OpsTopic', arn);
    // WHEN
    const { template: withTopic } = synthesize({ alarmTopic: topic });
    // THEN
    const actions = Object.values(resourcesOfType(withTopic, 'AWS::CloudWatch::Alarm')).map((a) => [a.Properties?.AlarmActions, a.Properties?.OKActions]);
    expect(actions.every(([onAlarm, onOk]) => JSON.stringify(onAlarm) === JSON.stringify([arn]) && JSON.stringify(onOk) === JSON.stringify([arn]))).toBe(true);
    withTopic.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('takes thresholds as props and refuses nonsense with the name and the value', () => {
    // GIVEN
    const { template: tuned } = synthesize({ alarmThresholds: { iteratorAgeMs: 5000 } });
    // THEN
    expect(Object.values(resourcesOfType(tuned, 'AWS::CloudWatch::Alarm')).some((a) => a.Properties?.Threshold === 5000)).toBe(true);
    expect(() => synthesize({ alarmThresholds: { deliveryFailureRatio: 2 } })).toThrow(/deliveryFailureRatio.*got 2/);
    expect(() => synthesize({ alarmThresholds: { functionErrors: 0 } })).toThrow(/functionErrors must be a positive number, got 0/);
  });

  it('builds one dashboard with the delivery path and the custom metrics', () => {
    // WHEN
    const dashboards = resourcesOfType(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties?.DashboardBody);
    // THEN
    expect(Object.keys(dashboards)).toHaveLength(1);
    for (const name of [METRIC.deliveriesPosted, METRIC.deliveriesFailed, METRIC.streamRecordAge, METRIC.broadcastRecipients, 'IteratorAge', 'ConnectCount']) {
      expect(body).toContain(name);
    }
  });
});
