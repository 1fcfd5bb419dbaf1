/**
 * Creates the tables in DynamoDB Local from lambdas/system/schema.ts, the
 * definitions the CDK stack builds from: there is no second schema.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type KeySchemaElement,
  type Projection,
} from '@aws-sdk/client-dynamodb';
import { allTables, type IndexDefinition, type KeyAttribute, type TableDefinition } from '../lambdas/system/schema';

/** Physical table name for a definition; locally the logical name, optionally prefixed. */
export type TableNamer = (table: TableDefinition) => string;

export const defaultTableName: TableNamer = (table) => table.name;

function keySchema(partitionKey: KeyAttribute, sortKey?: KeyAttribute): KeySchemaElement[] {
  const schema: KeySchemaElement[] = [{ AttributeName: partitionKey.name, KeyType: 'HASH' }];
  if (sortKey !== undefined) schema.push({ AttributeName: sortKey.name, KeyType: 'RANGE' });
  return schema;
}

/**
 * Translates one schema.ts definition into CreateTable input: on-demand
 * billing, every key attribute declared once, GSIs and LSIs projecting ALL,
 * the stream view when the table has one.
 *
 * @example
 * const input = toCreateTableInput(messagesTable, 'Messages');
 */
export function toCreateTableInput(table: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, AttributeDefinition>();
  const declare = (key?: KeyAttribute): void => {
    if (key !== undefined) attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  };
  const indexes = (list: readonly IndexDefinition[] | undefined) =>
    list?.map((index) => {
      declare(index.partitionKey);
      declare(index.sortKey);
      const projection: Projection =
        index.projectedAttributes !== undefined
          ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projectedAttributes] }
          : { ProjectionType: 'ALL' };
      return { IndexName: index.indexName, KeySchema: keySchema(index.partitionKey, index.sortKey), Projection: projection };
    });
  declare(table.partitionKey);
  declare(table.sortKey);
  const globalIndexes = indexes(table.globalIndexes);
  const localIndexes = indexes(table.localIndexes);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    AttributeDefinitions: [...attributes.values()],
    ...(globalIndexes !== undefined && globalIndexes.length > 0 ? { GlobalSecondaryIndexes: globalIndexes } : {}),
    ...(localIndexes !== undefined && localIndexes.length > 0 ? { LocalSecondaryIndexes: localIndexes } : {}),
    ...(table.stream !== undefined ? { StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream } } : {}),
  };
}

/**
 * Creates every table that does not exist yet (a persisted `--data`
 * directory keeps them between runs) and enables TTL where the schema asks.
 * Returns the physical name of each table by its env var.
 *
 * @example
 * const names = await createTables(dynamoDbClient);
 * names.MESSAGES_TABLE; // 'Messages'
 */
export async function createTables(
  client: DynamoDBClient,
  tables: readonly TableDefinition[] = allTables,
  nameOf: TableNamer = defaultTableName,
): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  await Promise.all(
    tables.map(async (table) => {
      const tableName = nameOf(table);
      names[table.envVar] = tableName;
      try {
        await client.send(new CreateTableCommand(toCreateTableInput(table, tableName)));
      } catch (err) {
        if (!(err instanceof ResourceInUseException)) throw err;
        // Already there from a previous run with --data; a stream the schema gained since is switched on.
        await enableMissingStream(client, table, tableName);
        return;
      }
      if (table.timeToLiveAttribute !== undefined) {
        await client.send(
          new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: table.timeToLiveAttribute } }),
        );
      }
    }),
  );
  return names;
}

/** Turns on the schema's stream for a table created (by an older schema) without one. */
async function enableMissingStream(client: DynamoDBClient, table: TableDefinition, tableName: string): Promise<void> {
  if (table.stream === undefined) return;
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.StreamSpecification?.StreamEnabled === true) return;
  await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream } }));
}

/** The stream ARN of a table (DynamoDB Local's `ddblocal` form), or undefined without a stream. */
export async function latestStreamArn(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return Table?.LatestStreamArn;
}
