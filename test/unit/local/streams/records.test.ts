import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type AttributeValue as SdkAttributeValue,
  type _Record as SdkRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamRecordsReader } from '../../../../local/streams/get-records';
import { toLambdaRecord, toLambdaStreamArn, TTL_USER_IDENTITY, type RecordContext } from '../../../../local/streams/records';
import { startFakeGetRecords, type FakeGetRecords } from '../../../helpers/fake-get-records';

describe('Function: toLambdaRecord', () => {
  it('converts DynamoDB Local records to the Lambda event shape', () => {
    // Prepare
    const arn = 'arn:aws:dynamodb:ddblocal:000000000000:table/Messages/stream/2026-01-01T00:00:00.000';
    const raw = {
      eventID: 'e1',
      eventName: 'INSERT',
      awsRegion: 'ddblocal',
      dynamodb: {
        ApproximateCreationDateTime: 1767225610.9,
        Keys: { chatId: { S: 'c1' } },
        NewImage: { blob: { B: 'AQID' }, nested: { M: { list: { L: [{ BS: ['/w=='] }] } } } },
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
    // Prepare: what DynamoDB Local sends (no userIdentity, a placeholder eventName).
    const arn = 'arn:aws:dynamodb:ddblocal:000000000000:table/Connections/stream/2026-01-01T00:00:00.000';
    const raw = {
      eventID: 'e2',
      eventName: 'UNKNOWN_TO_SDK_VERSION',
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

/**
 * The poller's former path, kept here as the reference: the SDK client's
 * record (Date, Uint8Array) converted back to Lambda's shape, as
 * local/streams/records.ts did before the poller read GetRecords' JSON itself.
 */
function fromSdkAttribute(value: SdkAttributeValue): AttributeValue {
  const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: fromSdkImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(fromSdkAttribute) };
  return value as AttributeValue;
}

function fromSdkImage(image: Record<string, SdkAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, fromSdkAttribute(value)]));
}

function fromSdkRecord(record: SdkRecord, context: RecordContext): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  const dynamodb: NonNullable<DynamoDBRecord['dynamodb']> = {
    ...(created !== undefined ? { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) } : {}),
    ...(stream.Keys !== undefined ? { Keys: fromSdkImage(stream.Keys) } : {}),
    ...(stream.NewImage !== undefined ? { NewImage: fromSdkImage(stream.NewImage) } : {}),
    ...(stream.OldImage !== undefined ? { OldImage: fromSdkImage(stream.OldImage) } : {}),
    ...(stream.SequenceNumber !== undefined ? { SequenceNumber: stream.SequenceNumber } : {}),
    ...(stream.SizeBytes !== undefined ? { SizeBytes: stream.SizeBytes } : {}),
    ...(stream.StreamViewType !== undefined ? { StreamViewType: stream.StreamViewType } : {}),
  };
  const ttlDelete = (record.eventName as string | undefined) === 'UNKNOWN_TO_SDK_VERSION' && stream.NewImage === undefined;
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

/** A GetRecords answer recorded from DynamoDB Local 2026-01-16: B, BS, nested M and L (an empty map among them), a MODIFY, a TTL delete. */
const recordedPage = readFileSync(join(__dirname, 'fixtures', 'dynamodb-local-get-records.json'), 'utf8');

/** The recorded page edited: times with fractions (one rounds up to the next second), a delete carrying a userIdentity. */
function editedPage(): string {
  const page = JSON.parse(recordedPage) as { Records: { dynamodb: { ApproximateCreationDateTime: number }; userIdentity?: unknown; eventName: string }[] };
  const [insert, modify, , ttl] = page.Records;
  (insert as (typeof page.Records)[number]).dynamodb.ApproximateCreationDateTime = 1795962780.9996;
  (modify as (typeof page.Records)[number]).dynamodb.ApproximateCreationDateTime = 1795962780.4994;
  page.Records.push({ ...(ttl as (typeof page.Records)[number]), eventName: 'REMOVE', userIdentity: { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' } });
  return JSON.stringify(page);
}

describe('Function: toLambdaRecord (GetRecords JSON against the SDK client path)', () => {
  const context = { eventSourceARN: 'arn:aws:dynamodb:eu-west-1:000000000000:table/TTT/stream/2026-11-29T14:33:18.046', region: 'eu-west-1' };
  let fake: FakeGetRecords | undefined;
  let reader: StreamRecordsReader | undefined;
  let sdk: DynamoDBStreamsClient | undefined;
  afterEach(async () => {
    reader?.close();
    sdk?.destroy();
    await fake?.close();
  });

  /** The same bytes read both ways: the poller's reader + toLambdaRecord, and the SDK client + the former conversion. */
  async function bothWays(body: string): Promise<{ lean: DynamoDBRecord[]; viaSdk: DynamoDBRecord[] }> {
    fake = await startFakeGetRecords({ 'it-1': [{ body }] });
    reader = new StreamRecordsReader({ endpoint: fake.endpoint, region: 'eu-west-1' });
    sdk = new DynamoDBStreamsClient({ endpoint: fake.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const lean = ((await reader.getRecords('it-1', 1000)).Records ?? []).map((r) => toLambdaRecord(r, context));
    const viaSdk = ((await sdk.send(new GetRecordsCommand({ ShardIterator: 'it-1', Limit: 1000 }))).Records ?? []).map((r) => fromSdkRecord(r, context));
    return { lean, viaSdk };
  }

  it('gives the same Lambda records, byte for byte, for a page recorded from DynamoDB Local', async () => {
    // Act
    const { lean, viaSdk } = await bothWays(recordedPage);

    // Assess
    expect(JSON.stringify(lean)).toBe(JSON.stringify(viaSdk));
    expect(lean.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'INSERT', 'REMOVE']);
    expect(lean[0]?.dynamodb?.NewImage).toMatchObject({ bin: { B: 'AQID+g==' }, bins: { BS: ['/wA=', 'BA=='] }, nested: { M: { list: { L: [{ BS: ['CQ=='] }, { M: { b: { B: 'Bwc=' } } }] } } } });
    expect(lean[3]).toMatchObject({ userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } });
  });

  it('gives the same Lambda records for fractional times and a userIdentity', async () => {
    // Act
    const { lean, viaSdk } = await bothWays(editedPage());

    // Assess
    expect(JSON.stringify(lean)).toBe(JSON.stringify(viaSdk));
    expect(lean.map((r) => r.dynamodb?.ApproximateCreationDateTime)).toEqual([1795962781, 1795962780, 1795962780, 1795962780, 1795962780]);
    expect(lean[4]).toMatchObject({ eventName: 'REMOVE', userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } });
  });
});
