import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Sibling workspace packages resolve to their TypeScript sources (the "@events/source" export
// condition), so tests never run against a stale build.
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@events/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@events/source', ...defaultServerConditions] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
