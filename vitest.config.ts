import { defineConfig } from 'vitest/config';

// Unit tests live beside the code (src/**/*.test.ts); integration and end-to-end tests under test/.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
