import { describe, expect, it } from 'vitest';
import { byName, cleanUp, engine, lifeOf, requireEngine, suiteName, watchSource } from './docker-test-kit.js';
import { docker, TEST_IMAGE, until } from '../../../../tests/support/docker-engine.js';

// A stop takes as long as the engine gives the container before its SIGKILL: its own stop
// timeout (`--stop-timeout`), or for a swarm task its service's grace period. `sleep` as PID 1
// ignores SIGTERM, so every stop here lasts that long. Everything is created after the source
// started (no listing has inspected it), and the grace period is longer than the 10 s + 5 s a
// container of unknown stop timeout would get: each must show Stopping until it is down, never
// Running in between.

const GRACE_S = 18;

/** The states after the first `Stopping`. */
const afterStopping = (life: readonly string[]) => life.slice(life.indexOf('Stopping'));

describe.skipIf(!engine)(suiteName('Docker source: stop timeouts of containers created while it runs'), () => {
  it("holds Stopping through each container's own grace period: docker stop, a REST restart, a swarm scale down, a stop timeout of -1", async () => {
    const host = requireEngine();
    // A settle timeout far below the grace period: only the stop timeouts can hold the states.
    const watched = await watchSource(host.host, { settleTimeoutMs: 1_000 });
    try {
      const run = (name: string, timeout: number) => docker(host, ['run', '-d', '--stop-timeout', String(timeout), '--name', name, TEST_IMAGE, 'sleep', '600']);
      await run('st-stop', GRACE_S);
      await run('st-restart', GRACE_S);
      await run('st-forever', -1);
      await docker(host, ['service', 'create', '--detach', '--no-resolve-image', '--stop-grace-period', `${GRACE_S}s`, '--name', 'st-svc', '--replicas', '1', TEST_IMAGE, 'sleep', '600']);
      const up = (name: string) => byName(watched.source, 'container', name)?.state === 'Running';
      await until(() => up('st-stop') && up('st-restart') && up('st-forever') && byName(watched.source, 'service', 'st-svc')?.running_num_containers === 1, 60_000, 'all running');
      const uri = (name: string) => byName(watched.source, 'container', name)?.resource_uri;
      const [stopUri, restartUri, foreverUri] = [uri('st-stop'), uri('st-restart'), uri('st-forever')];
      const taskUri = byName(watched.source, 'service', 'st-svc')?.containers[0];

      const started = Date.now();
      const stops = [docker(host, ['stop', 'st-stop']), docker(host, ['stop', '-t', String(GRACE_S), 'st-forever'])];
      const restart = watched.source.operate({
        namespace: 'u',
        type: 'container',
        uuid: byName(watched.source, 'container', 'st-restart')?.uuid as string,
        operation: 'redeploy',
        user: 'u',
        method: 'POST',
        path: `${restartUri}redeploy/`,
      });
      if (!restart.ok) throw new Error(restart.detail);
      await docker(host, ['service', 'scale', '--detach', 'st-svc=0']);
      await Promise.all(stops);
      await until(
        () =>
          lifeOf(watched.events, taskUri).includes('Stopped') &&
          lifeOf(watched.events, restartUri).at(-1) === 'Running' &&
          lifeOf(watched.events, restart.action.resource_uri).at(-1) === 'Success',
        40_000,
        'the task stopped and the restart done',
      );
      // The engine did wait the grace period: these lives spanned it.
      expect(Date.now() - started).toBeGreaterThanOrEqual((GRACE_S - 1) * 1000);
      expect.soft(afterStopping(lifeOf(watched.events, stopUri))).toEqual(['Stopping', 'Stopped']);
      expect.soft(afterStopping(lifeOf(watched.events, foreverUri))).toEqual(['Stopping', 'Stopped']);
      expect.soft(afterStopping(lifeOf(watched.events, restartUri))).toEqual(['Stopping', 'Starting', 'Running']);
      expect.soft(afterStopping(lifeOf(watched.events, taskUri)).slice(0, 2)).toEqual(['Stopping', 'Stopped']);
      expect(lifeOf(watched.events, restart.action.resource_uri)).toEqual(['create Pending', 'In progress', 'Success']);
    } finally {
      await watched.stop();
      await cleanUp(host, { containers: 'st-', services: ['st-svc'] });
    }
  });
});
