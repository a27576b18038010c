import type { Config } from 'jest';

// The AWS SDK warns once per module registry (every test file, every child process) that its
// releases after January 2027 need Node 22; the project runs on Node 20 until then. Set here, it
// reaches the workers and every process the tests start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Middy 6 ships ES modules only; esbuild turns TypeScript and those modules into CommonJS.
const transform: Config['transform'] = { '^.+\\.(t|j|mj)s$': '<rootDir>/scripts/jest-transform.js' };
const transformIgnorePatterns = ['/node_modules/(?!(@middy|hyparquet|hyparquet-writer)/)'];
const moduleNameMapper = { '^@clickstream/shared$': '<rootDir>/shared/src/index.ts' };

const config: Config = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      testMatch: ['<rootDir>/**/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      testMatch: ['<rootDir>/**/test/integration/**/*.test.ts', '<rootDir>/**/test/e2e/**/*.test.ts'],
      slowTestThreshold: 30,
    },
  ],
};

export default config;
