import { describe, expect, it } from 'vitest';
import { actionNameOf } from './action-name-of.js';

describe('actionNameOf', () => {
  it("gives Docker Cloud's action names", () => {
    expect(actionNameOf('service', 'scale')).toBe('Service Scale');
    expect(actionNameOf('stack', 'redeploy')).toBe('Stack Redeploy');
    expect(actionNameOf('container', 'terminate')).toBe('Container Terminate');
    expect(actionNameOf('service', 'start')).toBe('Service Start');
    expect(actionNameOf('container', 'stop')).toBe('Container Stop');
  });
});
