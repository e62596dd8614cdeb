// SDK_OPENAI=6 / SDK_ANTHROPIC=0 run the suite against the lowest supported major of each SDK: every
// `openai` / `@anthropic-ai/sdk` import (ours, the tests', the lazy loader's) goes to the npm alias
// installed beside it (devDependencies `openai-v6`, `anthropic-sdk-v0`). `npm run test:sdk-lowest`.
const sdkAliases = {
  ...(process.env.SDK_OPENAI === '6' ? { '^openai$': 'openai-v6', '^openai/(.*)$': 'openai-v6/$1' } : {}),
  ...(process.env.SDK_ANTHROPIC === '0'
    ? { '^@anthropic-ai/sdk$': 'anthropic-sdk-v0', '^@anthropic-ai/sdk/(.*)$': 'anthropic-sdk-v0/$1' }
    : {}),
};

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // p-retry and its dependency, and arktype (a dev dependency, for the schema tests), ship ES modules
    // only; compile them to CommonJS for jest.
    '^.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'CommonJS', moduleResolution: 'Node10', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-retry|is-network-error|arktype|arkregex|@ark)/)'],
  // Sources import siblings as './x.js' (NodeNext); jest resolves them to the .ts files.
  moduleNameMapper: { ...sdkAliases, '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['<rootDir>/__tests__/helpers/setup-env.ts'],
  // Installs redis-server on a fresh Debian/Ubuntu machine when run as root (see the file).
  globalSetup: '<rootDir>/__tests__/helpers/global-setup.ts',
  testTimeout: 20000,
};
