import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

describe('createMetrics', () => {
  it('renders Prometheus text with HELP/TYPE lines and labelled series', () => {
    const metrics = createMetrics({ now: () => 0 });
    metrics.connectionOpened('plain');
    metrics.connectionOpened('extended');
    metrics.connectionClosed('plain');
    metrics.setSubscribers('acme', 3);
    metrics.setSubscribers('a"b', 1);
    metrics.setSubscribers('gone', 0);
    metrics.eventsIn(5);
    metrics.authFailure('invalid');
    metrics.resume('gone');
    const text = metrics.render();
    expect(text).toContain('# TYPE events_in_total counter\nevents_in_total 5\n');
    expect(text).toContain('events_connections{protocol="plain"} 0\nevents_connections{protocol="extended"} 1\n');
    expect(text).toContain('events_subscribers{namespace="acme"} 3\n');
    expect(text).toContain('events_subscribers{namespace="a\\"b"} 1\n');
    expect(text).not.toContain('namespace="gone"');
    expect(text).toContain('events_auth_failures_total{reason="invalid"} 1\n');
    expect(text).toContain('events_resumes_total{outcome="gone"} 1\n');
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+)$/);
  });

  it('reports the source as up or down at each render, named in a label', () => {
    let ok = true;
    const metrics = createMetrics({ now: () => 0, source: { name: 'docker', health: () => ({ ok }) } });
    expect(metrics.render()).toContain('# TYPE events_source_up gauge\nevents_source_up{source="docker"} 1\n');
    ok = false;
    expect(metrics.render()).toContain('events_source_up{source="docker"} 0\n');
    const throwing = createMetrics({ source: { name: 'si"m', health: () => { throw new Error('boom'); } } });
    expect(throwing.render()).toContain('events_source_up{source="si\\"m"} 0\n');
    // Without a source (a Metrics of its own, in tests), no such series.
    expect(createMetrics().render()).not.toContain('events_source_up');
  });

  it('computes per-second rates over the last complete seconds of the injected clock', () => {
    let now = 10_000;
    const metrics = createMetrics({ now: () => now });
    for (let s = 0; s < 9; s++) {
      metrics.eventsIn(90);
      metrics.eventsOut(180);
      now += 1_000;
    }
    expect(metrics.snapshot().eventsInPerSecond).toBe(90);
    expect(metrics.snapshot().eventsOutPerSecond).toBe(180);
    now += 20_000;
    expect(metrics.snapshot().eventsInPerSecond).toBe(0);
    expect(metrics.snapshot().eventsIn).toBe(810);
  });
});
