import { EventsError } from '@events/core';
import { describe, expect, it } from 'vitest';
import { createDockerEngineClient, describeDockerHost, dockerodeOptionsFor } from './docker-engine-client.js';

describe('dockerodeOptionsFor', () => {
  it('reads DOCKER_HOST-style addresses, an explicit host winning over the environment', () => {
    expect(dockerodeOptionsFor(undefined)).toEqual({});
    expect(dockerodeOptionsFor('unix:///tmp/x/docker.sock')).toEqual({ socketPath: '/tmp/x/docker.sock', host: undefined });
    expect(dockerodeOptionsFor('/var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock', host: undefined });
    expect(dockerodeOptionsFor('tcp://10.0.0.5:2375')).toEqual({ host: '10.0.0.5', port: '2375', protocol: 'http', socketPath: undefined });
    expect(dockerodeOptionsFor('tcp://10.0.0.5:2376')).toMatchObject({ protocol: 'https' });
    expect(dockerodeOptionsFor('10.0.0.5:2375', { DOCKER_TLS_VERIFY: '1' })).toMatchObject({ host: '10.0.0.5', protocol: 'https' });
    expect(dockerodeOptionsFor('ssh://me@box')).toMatchObject({ protocol: 'ssh', host: 'box', username: 'me' });
  });

  it('refuses what is not an address, as invalid-config', () => {
    expect(() => dockerodeOptionsFor('ftp://x')).toThrow(EventsError);
    expect(() => dockerodeOptionsFor('ftp://x')).toThrow(/unknown scheme/);
  });

  it('names the engine for messages', () => {
    expect(describeDockerHost(undefined, {})).toBe('unix:///var/run/docker.sock');
    expect(describeDockerHost(undefined, { DOCKER_HOST: 'tcp://a:1' })).toBe('tcp://a:1');
    expect(describeDockerHost('unix:///x', { DOCKER_HOST: 'tcp://a:1' })).toBe('unix:///x');
  });

  it('reports an engine that is not there as a connection error', async () => {
    const client = createDockerEngineClient({ dockerHost: 'unix:///nonexistent/events-test.sock', env: {} });
    await expect(client.ping()).rejects.toMatchObject({ name: 'EventsError', code: 'connection' });
    await expect(client.inspectContainer('x')).rejects.toMatchObject({ code: 'connection' });
  });
});
