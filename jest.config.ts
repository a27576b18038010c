/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// Middy 6 and a few other dependencies ship ES modules only; swc turns them into CommonJS for jest.
const transform: Config['transform'] = {
  '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = ['/node_modules/(?!(@middy)/)'];
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
