import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktn';
import { createStacks } from '../../app';
import { locateBundles, PLACEHOLDER_DIR, uniformBundles } from '../../bundles';
import { FIXTURE_BUNDLE, resourceAt, resources, synthEnv } from '../synth';

describe('locateBundles', () => {
  let dist: string;
  beforeAll(() => {
    dist = mkdtempSync(path.join(os.tmpdir(), 'clickstream-dist-'));
    mkdirSync(path.join(dist, 'event-processor'));
    writeFileSync(path.join(dist, 'event-processor', 'index.js'), 'exports.handler = async () => ({ batchItemFailures: [] });');
    mkdirSync(path.join(dist, 'archiver')); // a directory without index.js is not a bundle
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  it('uses dist/<service> when index.js exists and the placeholder otherwise', () => {
    expect(locateBundles(dist)).toEqual({
      'event-processor': { directory: path.join(dist, 'event-processor'), built: true },
      'anomaly-detector': { directory: PLACEHOLDER_DIR, built: false },
      archiver: { directory: PLACEHOLDER_DIR, built: false },
      compactor: { directory: PLACEHOLDER_DIR, built: false },
      collector: { directory: PLACEHOLDER_DIR, built: false },
      forget: { directory: PLACEHOLDER_DIR, built: false },
    });
  });

  it('still synthesizes without bundles, with the mappings of missing services disabled', () => {
    const { json } = synthEnv('dev', locateBundles(dist), 'partial');
    expect(resourceAt(json, 'aws_lambda_event_source_mapping', 'event-processor/consumer/event-source').enabled).toBe(true);
    expect(resourceAt(json, 'aws_lambda_event_source_mapping', 'anomaly-detector/consumer/event-source').enabled).toBe(false);
    expect(resourceAt(json, 'aws_lambda_event_source_mapping', 'archiver/consumer/event-source').enabled).toBe(false);
    // The three consumers, the compactor, the collector and forget.
    expect(Object.keys(resources(json, 'aws_lambda_function'))).toHaveLength(6);
    for (const schedule of Object.values(resources(json, 'aws_scheduler_schedule'))) expect(schedule.state).toBe('DISABLED');
  });

  it('writes a zip per function into the stack directory on a full synth, named by its hash', () => {
    const app = Testing.app();
    const [dev] = createStacks(app, uniformBundles(FIXTURE_BUNDLE));
    const outdir = Testing.fullSynth(dev!);
    const json = JSON.parse(readFileSync(path.join(outdir, 'stacks', 'clickstream-dev', 'cdk.tf.json'), 'utf8'));
    for (const fn of Object.values(resources(json, 'aws_lambda_function'))) {
      expect(existsSync(path.join(outdir, 'stacks', 'clickstream-dev', fn.filename))).toBe(true);
    }
  });

  it('gives unchanged code the same source hash and changed code a new one', () => {
    const hashOf = (directory: string) => {
      const app = Testing.app();
      const [dev] = createStacks(app, uniformBundles(directory));
      return dev!.consumers['event-processor'].asset.assetHash;
    };
    const copy = mkdtempSync(path.join(os.tmpdir(), 'clickstream-bundle-'));
    try {
      writeFileSync(path.join(copy, 'index.js'), readFileSync(path.join(FIXTURE_BUNDLE, 'index.js')));
      expect(hashOf(copy)).toBe(hashOf(FIXTURE_BUNDLE));
      writeFileSync(path.join(copy, 'index.js'), 'exports.handler = async () => ({ batchItemFailures: [{ itemIdentifier: "1" }] });');
      expect(hashOf(copy)).not.toBe(hashOf(FIXTURE_BUNDLE));
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
