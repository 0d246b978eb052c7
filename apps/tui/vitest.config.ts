import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// As the shared config, plus component tests written in TSX (mergeConfig appends the include).
// FORCE_COLOR: Ink's chalk would see no TTY and drop colours, and the tests check that colours
// come (and go with NO_COLOR).
export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      include: ['src/**/*.test.tsx'],
      env: { FORCE_COLOR: '1' },
    },
  }),
);
