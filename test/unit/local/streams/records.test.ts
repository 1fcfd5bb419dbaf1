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

  it('turns a DynamoDB Local TTL delete into a REMOVE by the DynamoDB service, as AWS delivers it', () => {
    // Prepare: DynamoDB Local's own shape (no userIdentity, a placeholder eventName).
    const arn = 'arn:aws:dynamodb:ddblocal:000000000000:table/Connections/stream/2026-01-01T00:00:00.000';
    const raw = {
      eventID: 'e2',
      eventName: 'UNKNOWN_TO_SDK_VERSION' as 'REMOVE',
      dynamodb: { Keys: { connectionId: { S: 'c1' } }, OldImage: { connectionId: { S: 'c1' }, userId: { S: 'alice' } }, SequenceNumber: '200' },
    };

    // Act
    const record = toLambdaRecord(raw, { eventSourceARN: toLambdaStreamArn(arn, 'eu-west-1'), region: 'eu-west-1' });

    // Assess
    expect(record).toMatchObject({ eventName: 'REMOVE', userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } });
    expect(record.dynamodb?.OldImage).toEqual({ connectionId: { S: 'c1' }, userId: { S: 'alice' } });
  });

  it('passes on a userIdentity DynamoDB Local provides, and adds none to user deletes', () => {
    // Prepare
    const context = { eventSourceARN: 'arn:aws:dynamodb:eu-west-1:000000000000:table/T/stream/x', region: 'eu-west-1' };
    const base = { eventID: 'e3', dynamodb: { Keys: { p: { S: 'a' } }, SequenceNumber: '300' } };

    // Act
    const withIdentity = toLambdaRecord({ ...base, eventName: 'REMOVE', userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' } }, context);
    const userDelete = toLambdaRecord({ ...base, eventName: 'REMOVE' }, context);

    // Assess
    expect(withIdentity.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(userDelete).not.toHaveProperty('userIdentity');
    expect(userDelete.eventName).toBe('REMOVE');
  });
});
