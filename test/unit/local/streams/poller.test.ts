import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseBatchResponse } from '../../../../local/streams/poller';

const batch = ['100', '200', '300'].map((SequenceNumber) => ({ dynamodb: { SequenceNumber } }) as DynamoDBRecord);

describe('Function: parseBatchResponse', () => {
  it('treats nothing, null and an empty list as success', () => {
    // Act
    const outcomes = [undefined, null, {}, { batchItemFailures: null }, { batchItemFailures: [] }].map((r) => parseBatchResponse(r, batch));

    // Assess
    expect(outcomes.every((o) => o.kind === 'success')).toBe(true);
  });

  it('restarts from the lowest sequence number, compared as numbers', () => {
    // Act
    const outcome = parseBatchResponse({ batchItemFailures: [{ itemIdentifier: '300' }, { itemIdentifier: '200' }] }, batch);

    // Assess
    expect(outcome).toEqual({ kind: 'partial', index: 1 });
  });

  it('fails the whole batch on an empty, unknown or misplaced identifier', () => {
    // Act
    const outcomes = [[{ itemIdentifier: '' }], [{ itemIdentifier: '999' }], [{ id: '100' }], [null], 'x'].map((f) => parseBatchResponse({ batchItemFailures: f }, batch).kind);

    // Assess
    expect(outcomes).toEqual(['error', 'error', 'error', 'error', 'error']);
  });
});
