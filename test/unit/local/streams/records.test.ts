import { describe, expect, it } from 'vitest';
import { toLambdaRecord, toLambdaStreamArn } from '../../../../local/streams/records';

describe('Function: toLambdaRecord', () => {
  it('converts DynamoDB Local records to the Lambda event shape', () => {
    // Prepare
    const arn = 'arn:aws:dynamodb:ddblocal:000000000000:table/Messages/stream/2026-01-01T00:00:00.000';
    const raw = {
      eventID: 'e1',
      eventName: 'INSERT' as const,
      awsRegion: 'ddblocal',
      dynamodb: {
        ApproximateCreationDateTime: new Date('2026-01-01T00:00:10.900Z'),
        Keys: { chatId: { S: 'c1' } },
        NewImage: { blob: { B: new Uint8Array([1, 2, 3]) }, nested: { M: { list: { L: [{ BS: [new Uint8Array([255])] }] } } } },
        SequenceNumber: '100',
        SizeBytes: 10,
        StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
      },
    };

    // Act
    const record = toLambdaRecord(raw, { eventSourceARN: toLambdaStreamArn(arn, 'eu-west-1'), region: 'eu-west-1' });

    // Assess
    expect(record).toEqual({
      eventID: 'e1',
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      eventSourceARN: 'arn:aws:dynamodb:eu-west-1:000000000000:table/Messages/stream/2026-01-01T00:00:00.000',
      dynamodb: {
        ApproximateCreationDateTime: 1767225610,
        Keys: { chatId: { S: 'c1' } },
        NewImage: { blob: { B: 'AQID' }, nested: { M: { list: { L: [{ BS: ['/w=='] }] } } } },
        SequenceNumber: '100',
        SizeBytes: 10,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
  });
});
