/**
 * The architecture in one screen: dependencies point down,
 *
 *   shared/  ←  services/<name>/  ←  local/  ←  load-test/
 *      ↑              ↑ (contract.ts, handler.ts only)
 *   testkit/ (record factories, traffic model: only tests, benchmarks, the local demo and the load test)
 *   cdktf/ reads shared/ (topology, env contract, dashboard) and scripts/ (bundles), nothing else.
 *   tracker/src/ is the browser tracker: it imports nothing outside itself; tracker/build.ts is
 *   tooling that local/ and scripts/ use to build it.
 *
 * Tests (`test/`) and benchmarks (`bench/`) are harnesses, not layers: they may import what they
 * test or measure, the local stack to run it on, and testkit/. `npm test` runs this check.
 */
const harness = '(^|/)(test|bench)/';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'A cycle means two modules are one; split out what both need.', from: {}, to: { circular: true } },
    {
      name: 'shared-is-the-bottom',
      severity: 'error',
      comment: 'shared/ is what every layer uses; it imports no layer above it.',
      from: { path: '^shared/', pathNot: harness },
      to: { path: '^(services|local|load-test|testkit|cdktf|scripts)/' },
    },
    {
      name: 'testkit-only-needs-shared',
      severity: 'error',
      from: { path: '^testkit/' },
      to: { path: '^(services|local|load-test|cdktf|scripts)/' },
    },
    {
      name: 'testkit-only-for-harnesses',
      severity: 'error',
      comment: 'Test helpers never ship: only tests, benchmarks, the local demo and the load test import testkit/.',
      from: { path: '^(shared|services|local|cdktf|scripts)/', pathNot: [harness, '^local/demo\\.ts$'] },
      to: { path: '^testkit/' },
    },
    {
      name: 'services-are-independent',
      severity: 'error',
      comment: 'A service reaches another service only through the stream, never through its code.',
      from: { path: '^services/([^/]+)/', pathNot: [harness, '^services/forget/'] },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'forget-reads-contracts',
      severity: 'error',
      comment: 'Forgetting a user deletes from every store, so it is a reader of every store: through each owner\'s contract.ts only.',
      from: { path: '^services/forget/', pathNot: harness },
      to: { path: '^services/', pathNot: ['^services/forget/', '^services/[^/]+/src/contract\\.ts$'] },
    },
    {
      name: 'services-point-down',
      severity: 'error',
      comment: 'Service code runs on Lambda: it imports shared/ and nothing above it.',
      from: { path: '^services/', pathNot: harness },
      to: { path: '^(local|load-test|cdktf|scripts|testkit)/' },
    },
    {
      name: 'readers-use-the-contract',
      severity: 'error',
      comment: 'Outside a service, only its table contract (contract.ts) and its Lambda entry (handler.ts) are public.',
      from: { path: '^(local|load-test|cdktf)/', pathNot: harness },
      to: { path: '^services/[^/]+/', pathNot: '^services/[^/]+/src/(contract|handler)\\.ts$' },
    },
    {
      name: 'local-points-down',
      severity: 'error',
      from: { path: '^local/', pathNot: harness },
      to: { path: '^(load-test|cdktf)/' },
    },
    {
      name: 'load-test-is-the-top',
      severity: 'error',
      comment: 'Nothing imports the load test.',
      from: { path: '^(shared|services|local|cdktf|scripts|testkit)/', pathNot: harness },
      to: { path: '^load-test/' },
    },
    {
      name: 'infrastructure-reads-shared-only',
      severity: 'error',
      from: { path: '^cdktf/', pathNot: harness },
      to: { path: '^(services|local|load-test|testkit)/' },
    },
    {
      name: 'tracker-is-standalone',
      severity: 'error',
      comment: 'The browser tracker ships to web pages with no dependencies: it imports only its own modules.',
      from: { path: '^tracker/src/' },
      to: { pathNot: '^tracker/src/' },
    },
    {
      name: 'tracker-is-built-by-tooling',
      severity: 'error',
      comment: 'Lambda code never bundles the tracker build: the collector is handed the built script (scripts/build.ts, the local stack).',
      from: { path: '^(shared|services|testkit|cdktf)/', pathNot: harness },
      to: { path: '^tracker/' },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      from: { pathNot: harness },
      to: { path: harness },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|cdktf\\.out|coverage)/|(^|/)test/fixtures/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
