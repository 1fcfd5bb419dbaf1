import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // Integration suites each start their own local runtime on free ports;
    // two cores, so keep the file-level parallelism modest.
    maxWorkers: 2,
  },
});
