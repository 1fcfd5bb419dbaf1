import { afterEach, describe, expect, it } from 'vitest';
import { installAwsCallCounter } from '../../../bench/aws-calls';
import { StreamRecordsReader } from '../../../local/streams/get-records';
import { startFakeGetRecords, type FakeGetRecords } from '../../helpers/fake-get-records';

let fake: FakeGetRecords | undefined;
afterEach(async () => {
  await fake?.close();
});

describe('Function: installAwsCallCounter', () => {
  it("counts the stream pollers' own GetRecords requests, and their errors, for the runtime", async () => {
    // Prepare
    const calls = installAwsCallCounter();
    fake = await startFakeGetRecords({
      'it-1': [{ body: { Records: [], NextShardIterator: 'it-1' } }],
      'it-bad': [{ status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ExpiredIteratorException', message: 'Iterator expired' } }],
    });
    const reader = new StreamRecordsReader({ endpoint: fake.endpoint, region: 'eu-west-1' });
    calls.reset();

    // Act
    await reader.getRecords('it-1', 1000);
    await reader.getRecords('it-bad', 1000).catch(() => undefined);
    reader.close();

    // Assess
    expect(calls.snapshot().operations).toEqual([{ caller: 'runtime', service: 'dynamodbstreams', operation: 'GetRecords', requests: 2, errors: 1 }]);
  });
});
