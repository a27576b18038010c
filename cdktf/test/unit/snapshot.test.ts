import { synthAll, type Json } from '../synth';

/** Asset hashes change with the bundle's bytes; blank them so snapshots show configuration only. */
function blankAssetHashes(json: Json): Json {
  const text = JSON.stringify(json, null, 1)
    .replace(/(assets\/[\w-]+_bundle_)[0-9A-F]{8}\/[0-9A-F]+\//g, '$1<id>/<asset-hash>/')
    .replace(/("source_code_hash": )"[0-9A-F]+"/g, '$1"<asset-hash>"');
  return JSON.parse(text) as Json;
}

describe.each(synthAll().map(({ stack, json }) => [stack.node.id, json] as const))('%s', (_id, json) => {
  it('matches the snapshot', () => {
    expect(blankAssetHashes(json)).toMatchSnapshot();
  });
});
