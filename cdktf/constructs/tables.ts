import { Construct } from 'constructs';
import { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { keyAttributes, TABLES, type TableDefinition, type TableKey } from '@clickstream/shared';

/**
 * The DynamoDB tables, exactly as shared/src/contract/topology.ts TABLES defines them: keys, indexes and
 * the TTL attribute. On-demand, point-in-time recovery, encrypted with the stack's key.
 */
export class Tables extends Construct {
  readonly tables: Record<TableKey, DynamodbTable>;

  constructor(scope: Construct, id: string, props: { names: Record<TableKey, string>; key: KmsKey; deletionProtection: boolean }) {
    super(scope, id);
    const entries = (Object.keys(TABLES) as TableKey[]).map((tableKey) => {
      const definition: TableDefinition = TABLES[tableKey];
      const table = new DynamodbTable(this, tableKey, {
        name: props.names[tableKey],
        billingMode: 'PAY_PER_REQUEST',
        hashKey: definition.hashKey.name,
        rangeKey: definition.rangeKey?.name,
        attribute: keyAttributes(definition).map(({ name, type }) => ({ name, type })),
        globalSecondaryIndex: definition.globalSecondaryIndexes.map((index) => ({
          name: index.indexName,
          hashKey: index.hashKey.name,
          rangeKey: index.rangeKey?.name,
          projectionType: index.nonKeyAttributes.length > 0 ? 'INCLUDE' : 'KEYS_ONLY',
          nonKeyAttributes: index.nonKeyAttributes.length > 0 ? [...index.nonKeyAttributes] : undefined,
        })),
        ttl: { attributeName: definition.ttlAttribute, enabled: true },
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true, kmsKeyArn: props.key.arn },
        deletionProtectionEnabled: props.deletionProtection,
      });
      return [tableKey, table] as const;
    });
    this.tables = Object.fromEntries(entries) as Record<TableKey, DynamodbTable>;
  }
}
