/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // p-retry and its dependency ship ES modules only; compile them to CommonJS for jest.
    '^.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'CommonJS', moduleResolution: 'Node10', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-retry|is-network-error)/)'],
  // Sources import siblings as './x.js' (NodeNext); jest resolves them to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['<rootDir>/__tests__/helpers/setup-env.ts'],
  testTimeout: 20000,
};
