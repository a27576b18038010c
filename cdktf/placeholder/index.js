'use strict';
// Stand-in for a service whose esbuild bundle (dist/<service>/index.js) did not exist at synth
// time. The stack deploys it with its Kinesis event source mapping DISABLED, so it never consumes
// (and never fails) a record: records wait in the stream until a synth with the real bundle
// enables the mapping. See cdktf/bundles.ts.
exports.handler = async () => {
  throw new Error('This function was deployed without its bundle: run `npm run build && npm run synth` and deploy again.');
};
