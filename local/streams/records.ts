/**
 * Stream records from DynamoDB Local, as GetRecords' JSON carries them,
 * converted to the shape a Lambda event source mapping delivers
 * (example-dynamodb-event.json): the same attribute values (binary is
 * base64 in both), epoch-second timestamps, the stream ARN and the app's
 * region.
 */
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

type LambdaStreamRecord = NonNullable<DynamoDBRecord['dynamodb']>;

/** A record of a GetRecords answer (DynamoDB Streams API reference, Record and StreamRecord), parsed from its JSON. */
export interface StreamRecord {
  readonly eventID?: string;
  /** INSERT, MODIFY, REMOVE; DynamoDB Local also sends UNKNOWN_TO_SDK_VERSION (see below). */
  readonly eventName?: string;
  readonly eventVersion?: string;
  readonly eventSource?: string;
  readonly awsRegion?: string;
  readonly dynamodb?: {
    /** Epoch seconds, with a fraction. */
    readonly ApproximateCreationDateTime?: number;
    readonly Keys?: Record<string, AttributeValue>;
    readonly NewImage?: Record<string, AttributeValue>;
    readonly OldImage?: Record<string, AttributeValue>;
    readonly SequenceNumber?: string;
    readonly SizeBytes?: number;
    readonly StreamViewType?: LambdaStreamRecord['StreamViewType'];
  };
  readonly userIdentity?: { readonly PrincipalId?: string; readonly Type?: string };
}

/**
 * Lambda's ARN for a stream: DynamoDB Local reports region `ddblocal`; the
 * function sees the app's region.
 */
export function toLambdaStreamArn(streamArn: string, region: string): string {
  return streamArn.replace(/^arn:aws:dynamodb:[^:]*:/, `arn:aws:dynamodb:${region}:`);
}

export interface RecordContext {
  /** The stream ARN as Lambda reports it (see toLambdaStreamArn). */
  readonly eventSourceARN: string;
  readonly region: string;
}

/**
 * What DynamoDB Local (2026-01-16) streams for a TTL delete: the old image
 * as a REMOVE would carry it, but no userIdentity and, on the wire, the
 * eventName `UNKNOWN_TO_SDK_VERSION` (its own SDK's placeholder for an
 * unknown enum value). AWS streams the same delete as a REMOVE with
 * userIdentity `{ type: 'Service', principalId: 'dynamodb.amazonaws.com' }`.
 */
const DDB_LOCAL_TTL_EVENT_NAME = 'UNKNOWN_TO_SDK_VERSION';

/** The userIdentity AWS puts on a TTL delete. */
export const TTL_USER_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/**
 * The record with the second the poller read it as its creation time when
 * that is later than DynamoDB Local's. AWS rounds ApproximateCreationDateTime
 * down to the second; DynamoDB Local (2026-01-16) rounds it down to the
 * minute, so a record written at :59 looked up to 60 s old at once, and the
 * Connections mapping's MaximumRecordAgeInSeconds of 60 could discard a
 * Socket.IO open packet before its first attempt. The read time is at most
 * one poll interval after the write.
 */
export function withReadTime(record: StreamRecord, readAtMs: number): StreamRecord {
  const stream = record.dynamodb;
  const created = stream?.ApproximateCreationDateTime;
  if (stream === undefined || created === undefined) return record;
  const readSecond = Math.floor(readAtMs / 1000);
  return created >= readSecond ? record : { ...record, dynamodb: { ...stream, ApproximateCreationDateTime: readSecond } };
}

/**
 * Converts one record. Images are handed on as parsed: JSON attribute values
 * are Lambda's already. A TTL delete from DynamoDB Local becomes a REMOVE
 * with the service identity, as AWS delivers it; a userIdentity DynamoDB
 * Local does provide is passed on.
 *
 * @example
 * const lambdaRecord = toLambdaRecord(page.Records[0], { eventSourceARN, region: 'eu-west-1' });
 * lambdaRecord.dynamodb?.ApproximateCreationDateTime; // 1764204000
 */
export function toLambdaRecord(record: StreamRecord, context: RecordContext): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  const dynamodb: LambdaStreamRecord = {
    // Whole seconds of the time rounded to the millisecond, as from the SDK's Date.
    ...(created !== undefined ? { ApproximateCreationDateTime: Math.floor(Math.round(created * 1000) / 1000) } : {}),
    ...(stream.Keys !== undefined ? { Keys: stream.Keys } : {}),
    ...(stream.NewImage !== undefined ? { NewImage: stream.NewImage } : {}),
    ...(stream.OldImage !== undefined ? { OldImage: stream.OldImage } : {}),
    ...(stream.SequenceNumber !== undefined ? { SequenceNumber: stream.SequenceNumber } : {}),
    ...(stream.SizeBytes !== undefined ? { SizeBytes: stream.SizeBytes } : {}),
    ...(stream.StreamViewType !== undefined ? { StreamViewType: stream.StreamViewType } : {}),
  };
  const ttlDelete = record.eventName === DDB_LOCAL_TTL_EVENT_NAME && stream.NewImage === undefined;
  const eventName = ttlDelete ? 'REMOVE' : (record.eventName as DynamoDBRecord['eventName']);
  const userIdentity =
    record.userIdentity !== undefined ? { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } : ttlDelete ? { ...TTL_USER_IDENTITY } : undefined;
  return {
    ...(record.eventID !== undefined ? { eventID: record.eventID } : {}),
    ...(eventName !== undefined ? { eventName } : {}),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: context.region,
    dynamodb,
    eventSourceARN: context.eventSourceARN,
    ...(userIdentity !== undefined ? { userIdentity } : {}),
  };
}
