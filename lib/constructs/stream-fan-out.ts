import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, StartingPosition, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StreamMapping } from '../../lambdas/system/topology';

/** A table stream and the event-source-mapping settings for it (`topology.streamMappings`). */
export interface FanOutSource {
  readonly table: ITable;
  readonly settings: Omit<StreamMapping, 'table' | 'function'>;
}

export interface StreamFanOutProps {
  /** The function that turns stream records into events for the rooms. */
  readonly handler: IFunction;
  readonly sources: readonly FanOutSource[];
  /**
   * How long records that exhausted their retries stay in the on-failure queue.
   * @default Duration.days(14)
   */
  readonly onFailureRetention?: Duration;
}

/** Lambda's bounds for stream mappings: a finite value is what we require here. */
const MAX_RETRY_ATTEMPTS = 10_000;
const MAX_RECORD_AGE_SECONDS = 604_800;

/**
 * DynamoDB streams → the fan-out function. Every mapping bisects a failing
 * batch, reports batch item failures, gives up after finite retries and
 * record age (one poison record can't block a shard for 24 h) and sends what
 * it gave up on to an encrypted, TLS-only SQS queue (metadata only: shard and
 * sequence numbers to replay from).
 *
 * @example
 * new StreamFanOut(this, 'FanOut', { handler: fanOutFn, sources: [{ table, settings: streamMappings[0] }] });
 */
export class StreamFanOut extends Construct {
  public readonly onFailureQueue: Queue;
  public readonly eventSources: readonly DynamoEventSource[];

  constructor(scope: Construct, id: string, props: StreamFanOutProps) {
    super(scope, id);
    if (props.sources.length === 0) {
      throw new Error('StreamFanOut needs at least one source, got none');
    }

    this.onFailureQueue = new Queue(this, 'OnFailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.onFailureRetention ?? Duration.days(14),
    });
    Validations.of(this.onFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the on-failure destination of the stream mappings: it keeps the metadata of records the fan-out gave up on, for inspection and replay; a dead-letter queue behind it would add nothing.',
    });
    const onFailure = new SqsDlq(this.onFailureQueue);

    this.eventSources = props.sources.map(({ table, settings }) => {
      validate(table, settings);
      const source = new DynamoEventSource(table, {
        startingPosition: StartingPosition[settings.startingPosition],
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
        bisectBatchOnError: settings.bisectBatchOnError,
        reportBatchItemFailures: settings.reportBatchItemFailures,
        retryAttempts: settings.retryAttempts,
        maxRecordAge: Duration.seconds(settings.maxRecordAgeSeconds),
        filters: settings.filters.map((pattern) => FilterCriteria.filter(pattern)),
        onFailure,
      });
      props.handler.addEventSource(source);
      return source;
    });
  }
}

function validate(table: ITable, settings: FanOutSource['settings']): void {
  const where = `stream mapping of ${table.node.path}`;
  if (!Number.isInteger(settings.retryAttempts) || settings.retryAttempts < 0 || settings.retryAttempts > MAX_RETRY_ATTEMPTS) {
    throw new Error(`${where}: retryAttempts must be a finite integer in 0..${MAX_RETRY_ATTEMPTS}, got ${settings.retryAttempts}`);
  }
  if (!Number.isInteger(settings.maxRecordAgeSeconds) || settings.maxRecordAgeSeconds < 60 || settings.maxRecordAgeSeconds > MAX_RECORD_AGE_SECONDS) {
    throw new Error(`${where}: maxRecordAgeSeconds must be a finite integer in 60..${MAX_RECORD_AGE_SECONDS}, got ${settings.maxRecordAgeSeconds}`);
  }
  if (!settings.reportBatchItemFailures) {
    throw new Error(`${where}: reportBatchItemFailures must be true, or one failed record retries the whole batch`);
  }
}
