/**
 * Reading DynamoDB stream records in Lambda's event shape: which table a
 * record comes from, its images as plain objects, and typed fields that
 * fail loudly (a poison record is reported, never half-processed).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, AttributeValue as StreamAttributeValue } from 'aws-lambda';

/** A stream record the fan-out cannot make sense of; it is reported as a batch item failure. */
export class MalformedRecordError extends Error {
  readonly code = 'MALFORMED_RECORD';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedRecordError';
  }
}

export type Image = Record<string, unknown>;

/**
 * The table name in a stream ARN,
 * `arn:aws:dynamodb:{region}:{account}:table/{TableName}/stream/{label}`.
 * DynamoDB Local uses the same shape, so the local poller passes it through.
 *
 * @example
 * tableNameOfStreamArn('arn:aws:dynamodb:eu-west-1:1:table/Chat-Messages1A2B/stream/2026-11-27T00:00:00.000');
 * // 'Chat-Messages1A2B'
 */
export function tableNameOfStreamArn(arn: string | undefined): string | undefined {
  return arn === undefined ? undefined : /:table\/([^/]+)\/stream\//.exec(arn)?.[1];
}

/** A stream image (or Keys) as a plain object: sets become Set, numbers number. */
export function imageOf(attributes: Record<string, StreamAttributeValue> | undefined): Image | undefined {
  if (attributes === undefined) return undefined;
  try {
    // aws-lambda's and the SDK's AttributeValue types describe the same JSON.
    return unmarshall(attributes as unknown as Record<string, AttributeValue>);
  } catch (err) {
    throw new MalformedRecordError('stream image could not be unmarshalled', { cause: err });
  }
}

/** A required non-empty string attribute. */
export function requireString(image: Image, name: string): string {
  const value = image[name];
  if (typeof value !== 'string' || value === '') {
    throw new MalformedRecordError(`attribute ${name} must be a non-empty string, got ${typeof value}`);
  }
  return value;
}

/** An attribute that may be a string (content may legitimately be empty, e.g. after a soft delete). */
export function requireText(image: Image, name: string): string {
  const value = image[name];
  if (typeof value !== 'string') {
    throw new MalformedRecordError(`attribute ${name} must be a string, got ${typeof value}`);
  }
  return value;
}

/** A required chat position: a positive safe integer. */
export function requirePosition(image: Image, name: string): number {
  const value = image[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new MalformedRecordError(`attribute ${name} must be a positive integer, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

export function optionalString(image: Image | undefined, name: string): string | undefined {
  const value = image?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Whether DynamoDB itself made the change (a TTL delete), not a user. */
export function isServiceChange(record: DynamoDBRecord): boolean {
  const identity = record.userIdentity as { type?: unknown } | undefined;
  return identity?.type === 'Service';
}

/**
 * Epoch ms → ISO-8601; ISO strings pass through. Stored times are epoch ms
 * in Presence and ISO in Messages; events always carry ISO.
 */
export function toIsoTime(value: unknown): string | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  // A finite number past ±8.64e15 ms is still an Invalid Date, whose toISOString throws a RangeError.
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
