import { Construct } from 'constructs';
import { AthenaNamedQuery } from '@cdktn/provider-aws/lib/athena-named-query';
import { AthenaWorkgroup } from '@cdktn/provider-aws/lib/athena-workgroup';
import { GlueCatalogDatabase } from '@cdktn/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktn/provider-aws/lib/glue-catalog-table';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { LAKE_PREFIXES, LAKE_TABLES, NAMED_QUERIES, PARTITION_COLUMNS, type LakeNames, type LakeTableKey } from '@clickstream/shared';

export interface LakeCatalogProps {
  names: LakeNames;
  bucket: S3Bucket;
  key: KmsKey;
  /** Athena cancels a query of this workgroup once it has scanned this many bytes. */
  bytesScannedCutoffPerQuery: number;
  /** First year the partition projection enumerates. */
  firstYear: number;
  forceDestroy: boolean;
}

const JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';
const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const TEXT_INPUT = 'org.apache.hadoop.mapred.TextInputFormat';
const SYMLINK_INPUT = 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat';
const TEXT_OUTPUT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';

/**
 * The Glue catalog of the lake and the Athena workgroup that queries it: a database with the
 * three tables of `shared/src/contract/lake.ts` (`raw_events` and `quarantine` over the gzip JSON
 * Lines of the archive, `events` over the curated Parquet through the compactor's symlink
 * manifests), each with partition projection on year/month/day/hour so a new hour is queryable
 * with no crawler and no `MSCK REPAIR`; a workgroup whose configuration is enforced (results
 * SSE-KMS under their own prefix, a bytes-scanned cutoff per query, CloudWatch metrics); and the
 * named queries, whose SQL is the same text `npm run query -- named` runs locally.
 */
export class LakeCatalog extends Construct {
  readonly database: GlueCatalogDatabase;
  readonly tables: Record<LakeTableKey, GlueCatalogTable>;
  readonly workgroup: AthenaWorkgroup;
  readonly namedQueries: AthenaNamedQuery[];

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    const bucketName = props.bucket.bucket;
    this.database = new GlueCatalogDatabase(this, 'database', { name: props.names.database, description: 'Clickstream lake: raw archive, curated events, quarantine' });

    const table = (tableKey: LakeTableKey) => {
      const definition = LAKE_TABLES[tableKey];
      const location = `s3://${bucketName}/${definition.prefix}`;
      const parquet = definition.format === 'parquet-symlink';
      return new GlueCatalogTable(this, tableKey, {
        name: definition.name,
        databaseName: this.database.name,
        tableType: 'EXTERNAL_TABLE',
        description: tableKey === 'curated' ? 'One row per event_id per event hour (compactor)' : `Archive ${definition.prefix} (archiver)`,
        parameters: {
          EXTERNAL: 'TRUE',
          classification: parquet ? 'parquet' : 'json',
          ...(parquet ? { 'parquet.compression': 'GZIP' } : {}),
          'projection.enabled': 'true',
          'projection.year.type': 'integer',
          'projection.year.range': `${props.firstYear},2099`,
          'projection.month.type': 'integer',
          'projection.month.range': '1,12',
          'projection.month.digits': '2',
          'projection.day.type': 'integer',
          'projection.day.range': '1,31',
          'projection.day.digits': '2',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          // `$${…}` is Terraform's escape for a literal `${…}`: Athena fills these in, not Terraform.
          'storage.location.template': `${location}year=$\${year}/month=$\${month}/day=$\${day}/hour=$\${hour}/`,
        },
        partitionKeys: PARTITION_COLUMNS.map((name) => ({ name, type: 'string' })),
        storageDescriptor: {
          location,
          inputFormat: parquet ? SYMLINK_INPUT : TEXT_INPUT,
          outputFormat: TEXT_OUTPUT,
          compressed: !parquet,
          serDeInfo: { serializationLibrary: parquet ? PARQUET_SERDE : JSON_SERDE, parameters: parquet ? { 'serialization.format': '1' } : { 'ignore.malformed.json': 'FALSE' } },
          columns: definition.columns.map((column) => ({ name: column.name, type: column.type, comment: column.comment })),
        },
      });
    };
    this.tables = { raw: table('raw'), curated: table('curated'), quarantine: table('quarantine') };

    this.workgroup = new AthenaWorkgroup(this, 'workgroup', {
      name: props.names.workgroup,
      description: 'Queries over the clickstream lake (results encrypted, scan cutoff enforced)',
      forceDestroy: props.forceDestroy,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        resultConfiguration: {
          outputLocation: `s3://${bucketName}/${LAKE_PREFIXES.athenaResults}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: props.key.arn },
        },
      },
    });

    this.namedQueries = NAMED_QUERIES.map(
      (query) =>
        new AthenaNamedQuery(this, `query-${query.name}`, {
          name: query.name,
          description: query.description,
          database: this.database.name,
          workgroup: this.workgroup.name,
          query: query.sql,
        }),
    );
  }
}
