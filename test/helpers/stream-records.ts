/**
 * Builders of DynamoDB stream records in Lambda's event shape, for unit
 * tests of the fan-out's record readers. Images are plain objects,
 * marshalled like the stream marshals them (sets stay sets).
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

export interface StreamRecordOptions {
  keys?: Record<string, unknown>;
  newImage?: Record<string, unknown>;
  oldImage?: Record<string, unknown>;
  /** Epoch seconds. @default 1_764_201_600 */
  approximateCreationDateTime?: number;
  /** `{ type: 'Service' }` for a TTL delete. */
  userIdentity?: DynamoDBRecord['userIdentity'];
  table?: string;
}

function image(item: Record<string, unknown> | undefined): Record<string, AttributeValue> | undefined {
  return item === undefined ? undefined : (marshall(item, { removeUndefinedValues: true }) as Record<string, AttributeValue>);
}

let sequence = 0;

/**
 * @example
 * const record = createStreamRecord('INSERT', { keys: { chatId: 'c1', userId: 'bob' }, newImage: row });
 */
export function createStreamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  options: StreamRecordOptions = {},
): DynamoDBRecord {
  sequence += 1;
  const table = options.table ?? 'Table';
  return {
    eventID: `event-${sequence}`,
    eventName,
    eventSource: 'aws:dynamodb',
    eventVersion: '1.1',
    awsRegion: 'eu-west-1',
    eventSourceARN: `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}/stream/2026-11-27T00:00:00.000`,
    dynamodb: {
      ApproximateCreationDateTime: options.approximateCreationDateTime ?? 1_764_201_600,
      Keys: image(options.keys),
      NewImage: image(options.newImage),
      OldImage: image(options.oldImage),
      SequenceNumber: String(sequence).padStart(21, '0'),
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    ...(options.userIdentity !== undefined && { userIdentity: options.userIdentity }),
  };
}
