import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Test files share one server; each makes its own database. Two cores: two workers.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
