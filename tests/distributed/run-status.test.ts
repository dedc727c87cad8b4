/**
 * LearnerWatch: how an actor reads the learner's `status` object (src/distributed/run-status.ts).
 * A clock is passed in, so silence is tested without waiting.
 */
import { describe, expect, it } from 'vitest';

import { type ObjectState } from '../../src/distributed/broker.js';
import { LearnerWatch } from '../../src/distributed/run-status.js';

const status = (revision: number, metadata: Record<string, string>): ObjectState => ({ revision, metadata });
const running = (revision: number, runId = 'run-a') => status(revision, { runId, state: 'running', update: '0' });

describe('LearnerWatch', () => {
  it('says done and stopped (with the reason) for its own run only', () => {
    const watch = new LearnerWatch('run-a', 60, 0);
    expect(watch.observe(running(1), 0)).toEqual({ kind: 'running' });
    expect(watch.observe(status(2, { runId: 'run-a', state: 'done', update: '9' }), 1000)).toEqual({ kind: 'done' });
    expect(watch.observe(status(3, { runId: 'run-a', state: 'stopped', update: '4', reason: 'SIGINT' }), 2000)).toEqual({ kind: 'stopped', reason: 'SIGINT' });
    // Another run's end is not this run's (the actor notices the new run from the config).
    expect(new LearnerWatch('run-a', 60, 0).observe(status(5, { runId: 'run-b', state: 'done', update: '1' }), 0)).toEqual({ kind: 'running' });
  });

  it('says silent once the revision has not changed for longer than the timeout, and not while heartbeats come', () => {
    const watch = new LearnerWatch('run-a', 10, 0);
    // Heartbeats every 2 s for a minute: never silent.
    for (let t = 0, rev = 1; t <= 60_000; t += 2000, rev++) expect(watch.observe(running(rev), t)).toEqual({ kind: 'running' });
    // Then the same revision over and over (a learner killed): silent after 10 s, not before.
    expect(watch.observe(running(30), 61_000)).toEqual({ kind: 'running' });
    expect(watch.observe(running(30), 71_000)).toEqual({ kind: 'running' });
    expect(watch.observe(running(30), 71_500)).toEqual({ kind: 'silent', seconds: 10.5 });
    // A resumed learner's heartbeat makes it running again.
    expect(watch.observe(running(31), 72_000)).toEqual({ kind: 'running' });
  });

  it('counts a missing status (deleted, never written) as silence from when it went missing', () => {
    const watch = new LearnerWatch('run-a', 5, 0);
    expect(watch.observe(running(1), 0)).toEqual({ kind: 'running' });
    expect(watch.observe(null, 1000)).toEqual({ kind: 'running' });
    expect(watch.observe(null, 6500)).toEqual({ kind: 'silent', seconds: 5.5 });
  });

  it('never says silent with timeout 0', () => {
    const watch = new LearnerWatch('run-a', 0, 0);
    expect(watch.observe(running(1), 0)).toEqual({ kind: 'running' });
    expect(watch.observe(running(1), 1e9)).toEqual({ kind: 'running' });
  });
});
