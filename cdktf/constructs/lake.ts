import { Construct } from 'constructs';
import { Fn, TerraformVariable } from 'cdktn';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { lakeNames, type LakeNames, type ResourceNames } from '@clickstream/shared';
import type { Bundle } from '../bundles';
import { Compactor } from './compactor';
import { LakeCatalog } from './lake-catalog';

export interface LakeProps {
  project: string;
  environment: string;
  names: ResourceNames;
  bundle: Bundle;
  bucket: S3Bucket;
  countersTable: DynamodbTable;
  key: KmsKey;
  logRetentionDays: number;
  logLevel: string;
  alarmActions: string[];
  forceDestroy: boolean;
}

/**
 * The lake behind the archive: its Terraform variables, the Glue/Athena catalog and the
 * scheduled compactor. One construct, so the stack wires it in one place.
 */
export class Lake extends Construct {
  readonly names: LakeNames;
  readonly catalog: LakeCatalog;
  readonly compactor: Compactor;
  readonly bytesScannedCutoff: TerraformVariable;
  readonly freshnessP99Seconds: TerraformVariable;

  constructor(scope: Construct, id: string, props: LakeProps) {
    super(scope, id);
    const variable = (name: string, config: ConstructorParameters<typeof TerraformVariable>[2]) => {
      const created = new TerraformVariable(this, name, config);
      created.overrideLogicalId(name);
      return created;
    };
    this.bytesScannedCutoff = variable('athena_bytes_scanned_cutoff', {
      type: 'number',
      default: 10 * 1024 ** 3,
      description: 'Athena cancels a query of the lake workgroup after it scanned this many bytes (minimum 10 MB).',
      validation: [{ condition: '${var.athena_bytes_scanned_cutoff >= 10485760}', errorMessage: 'athena_bytes_scanned_cutoff must be at least 10485760 (10 MB).' }],
    });
    this.freshnessP99Seconds = variable('lake_freshness_p99_alarm_seconds', {
      type: 'number',
      default: 300,
      description: 'Alarm when the p99 of arrival minus event time of a compacted hour exceeds this many seconds.',
      validation: [{ condition: '${var.lake_freshness_p99_alarm_seconds >= 1}', errorMessage: 'lake_freshness_p99_alarm_seconds must be at least 1.' }],
    });
    // Glue names are lower case with underscores; the project and environment are variables, so
    // the dashes are replaced by Terraform, not here.
    this.names = { ...lakeNames(props.project, props.environment), database: Fn.replace(`${props.project}_${props.environment}`, '-', '_') };
    this.catalog = new LakeCatalog(this, 'catalog', { names: this.names, bucket: props.bucket, key: props.key, bytesScannedCutoffPerQuery: this.bytesScannedCutoff.numberValue, firstYear: 2024, forceDestroy: props.forceDestroy });
    this.compactor = new Compactor(this, 'compactor', {
      project: props.project,
      environment: props.environment,
      names: props.names,
      lakeNames: this.names,
      bundle: props.bundle,
      bucket: props.bucket,
      countersTable: props.countersTable,
      key: props.key,
      logRetentionDays: props.logRetentionDays,
      logLevel: props.logLevel,
      alarmActions: props.alarmActions,
      freshnessP99ThresholdSeconds: this.freshnessP99Seconds.numberValue,
    });
  }
}
