import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Two projects: the engine tests in test/docker/ need a real dockerd, which their global setup
// starts only when one of their files is selected (so `vitest run src/foo` starts no engine).
// The docker project does not `extends: true`: that would concatenate the shared `include`.
export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      projects: [
        { extends: true, test: { name: 'server', exclude: [...configDefaults.exclude, 'test/docker/**'] } },
        {
          resolve: sharedConfig.resolve,
          ssr: sharedConfig.ssr,
          test: {
            name: 'docker',
            include: ['test/docker/**/*.test.ts'],
            globalSetup: ['test/docker/global-setup.ts'],
            // One engine for all: its files run one after another.
            fileParallelism: false,
            testTimeout: 90_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  }),
);
