/**
 * Stream records from DynamoDB Local (SDK v3 shape) converted to the shape a
 * Lambda event source mapping delivers (example-dynamodb-event.json):
 * epoch-second timestamps, base64 binary, the stream ARN and the app's region.
 */
import type { AttributeValue as StreamAttributeValue, _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** One attribute value with B/BS as base64 strings, recursively through maps and lists. */
export function toLambdaAttribute(value: StreamAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  return value as AttributeValue;
}

export function toLambdaImage(image: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaAttribute(value)]));
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
 * Converts one record. A TTL delete from DynamoDB Local becomes a REMOVE
 * with the service identity, as AWS delivers it; a userIdentity DynamoDB
 * Local does provide is passed on.
 *
 * @example
 * const lambdaRecord = toLambdaRecord(sdkRecord, { eventSourceARN, region: 'eu-west-1' });
 * lambdaRecord.dynamodb?.ApproximateCreationDateTime; // 1764204000
 */
export function toLambdaRecord(record: StreamRecord, context: RecordContext): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  const dynamodb: NonNullable<DynamoDBRecord['dynamodb']> = {
    ...(created !== undefined ? { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) } : {}),
    ...(stream.Keys !== undefined ? { Keys: toLambdaImage(stream.Keys) } : {}),
    ...(stream.NewImage !== undefined ? { NewImage: toLambdaImage(stream.NewImage) } : {}),
    ...(stream.OldImage !== undefined ? { OldImage: toLambdaImage(stream.OldImage) } : {}),
    ...(stream.SequenceNumber !== undefined ? { SequenceNumber: stream.SequenceNumber } : {}),
    ...(stream.SizeBytes !== undefined ? { SizeBytes: stream.SizeBytes } : {}),
    ...(stream.StreamViewType !== undefined ? { StreamViewType: stream.StreamViewType } : {}),
  };
  const ttlDelete = (record.eventName as string | undefined) === DDB_LOCAL_TTL_EVENT_NAME && stream.NewImage === undefined;
  const eventName = ttlDelete ? 'REMOVE' : record.eventName;
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
