import { RemovalPolicy } from 'aws-cdk-lib';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from './nag';
import type { KeyAttribute, KeyType, StreamView, TableDefinition } from '../../lambdas/system/schema';

/** How a function may use a table: the same two levels as `topology.tableAccess`. */
export type TableAccess = 'read' | 'readWrite';

const attributeTypes: Record<KeyType, AttributeType> = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
};

const streamViews: Record<StreamView, StreamViewType> = {
  NEW_IMAGE: StreamViewType.NEW_IMAGE,
  OLD_IMAGE: StreamViewType.OLD_IMAGE,
  NEW_AND_OLD_IMAGES: StreamViewType.NEW_AND_OLD_IMAGES,
  KEYS_ONLY: StreamViewType.KEYS_ONLY,
};

const toAttribute = (key: KeyAttribute) => ({ name: key.name, type: attributeTypes[key.type] });

export interface ChatTableProps {
  /** The table as `lambdas/system/schema.ts` describes it. */
  readonly definition: TableDefinition;
  /**
   * What happens to the table (and its data) when it leaves the stack.
   * The default keeps the data when the table is replaced or the stack is
   * deleted, but removes a table that a failed first deploy just created
   * (CloudFormation's `RetainExceptOnCreate`), so a retry starts clean.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One DynamoDB table built from its schema definition: on-demand,
 * point-in-time recovery on, TTL, stream and indexes exactly as the schema
 * says, each index with the projection its schema entry gives (only the
 * attributes its readers need, so updates of other attributes write no
 * index).
 *
 * @example
 * const messages = new ChatTable(this, 'Messages', { definition: messagesTable });
 * messages.grant(fn, 'read');
 */
export class ChatTable extends Construct {
  public readonly definition: TableDefinition;
  /** The underlying table (construct id `Resource`). */
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: ChatTableProps) {
    super(scope, id);
    const { definition } = props;
    this.definition = definition;

    this.table = new Table(this, 'Resource', {
      partitionKey: toAttribute(definition.partitionKey),
      sortKey: definition.sortKey ? toAttribute(definition.sortKey) : undefined,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: definition.timeToLiveAttribute,
      stream: definition.stream ? streamViews[definition.stream] : undefined,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    for (const index of definition.globalIndexes ?? []) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: toAttribute(index.partitionKey),
        sortKey: index.sortKey ? toAttribute(index.sortKey) : undefined,
        ...(index.projectedAttributes !== undefined
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projectedAttributes] }
          : { projectionType: ProjectionType.ALL }),
      });
    }
    for (const index of definition.localIndexes ?? []) {
      if (index.partitionKey.name !== definition.partitionKey.name) {
        throw new Error(
          `Local index "${index.indexName}" of table "${definition.name}" must use the table's partition key "${definition.partitionKey.name}", got "${index.partitionKey.name}"`,
        );
      }
      if (!index.sortKey) {
        throw new Error(`Local index "${index.indexName}" of table "${definition.name}" needs a sort key`);
      }
      this.table.addLocalSecondaryIndex({
        indexName: index.indexName,
        sortKey: toAttribute(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
  }

  /** Physical table name (what the schema's `envVar` carries). */
  public get tableName(): string {
    return this.table.tableName;
  }

  /**
   * Grants data-plane access to the table and its indexes; `read` never
   * includes a write action.
   *
   * @example
   * rooms.grant(fanOutFunction, 'readWrite');
   */
  public grant(grantee: IGrantable, access: TableAccess): Grant {
    const grant = access === 'read' ? this.table.grantReadData(grantee) : this.table.grantReadWriteData(grantee);
    const indexes = [...(this.definition.globalIndexes ?? []), ...(this.definition.localIndexes ?? [])];
    if (indexes.length > 0) {
      acknowledgeWildcardResource(
        grantee,
        `${this.table.tableArn}/index/*`,
        `Queries on the ${this.definition.name} table's indexes (${indexes.map((index) => index.indexName).join(', ')}); the wildcard covers only this table's indexes.`,
      );
    }
    return grant;
  }
}

export interface ChatTablesProps {
  /** Table definitions, usually `allTables` from the schema. */
  readonly definitions: readonly TableDefinition[];
  /**
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Every table of the schema, each a `ChatTable` whose construct id is the
 * schema's logical name (`Connections`, `Rooms`, ...).
 *
 * @example
 * const tables = new ChatTables(this, 'Tables', { definitions: allTables });
 * tables.get(roomsTable).grant(fn, 'read');
 */
export class ChatTables extends Construct {
  private readonly byName = new Map<string, ChatTable>();

  constructor(scope: Construct, id: string, props: ChatTablesProps) {
    super(scope, id);
    for (const definition of props.definitions) {
      if (this.byName.has(definition.name)) {
        throw new Error(`Table "${definition.name}" is defined twice`);
      }
      this.byName.set(definition.name, new ChatTable(this, definition.name, { definition, removalPolicy: props.removalPolicy }));
    }
  }

  /** All tables, in definition order. */
  public get all(): readonly ChatTable[] {
    return [...this.byName.values()];
  }

  /**
   * The table of a schema definition.
   *
   * @example
   * const connections = tables.get(connectionsTable);
   */
  public get(definition: TableDefinition): ChatTable {
    const table = this.byName.get(definition.name);
    if (!table) {
      throw new Error(`Table "${definition.name}" does not exist; known tables: ${[...this.byName.keys()].join(', ')}`);
    }
    return table;
  }
}
