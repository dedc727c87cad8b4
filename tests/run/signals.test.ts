import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readCheckpoint } from '../../src/run/checkpoint-store.js';
import { requestMessage, ShutdownController, type SignalSource } from '../../src/run/signals.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/signal-child.ts', import.meta.url));

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-signals-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the child loop and sends each signal once the output contains its trigger (in order; a
 * signal waits for the previous one to be seen, since the OS merges identical pending signals).
 */
function runChild(
  updateMs: number,
  mode: string,
  plan: [NodeJS.Signals, string][],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; ms: number }> {
  // ms: from the first signal to the exit (startup time under load does not count).
  return new Promise((resolveRun, reject) => {
    let firstSignalAt = 0;
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, String(updateMs), mode], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let next = 0;
    const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    const onOutput = (d: Buffer) => {
      out += d.toString();
      while (next < plan.length && out.includes(plan[next][1])) {
        if (next === 0) firstSignalAt = Date.now();
        proc.kill(plan[next++][0]);
      }
    };
    proc.stdout.on('data', onOutput);
    proc.stderr.on('data', onOutput);
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolveRun({ code, signal, out, ms: firstSignalAt ? Date.now() - firstSignalAt : Infinity });
    });
  });
}

describe('ShutdownController', () => {
  it('says what the first stop does and how to quit at once', () => {
    expect(requestMessage('SIGINT', 'finish-update')).toBe(
      "mario-rl: SIGINT received: finishing the current update, then saving 'latest'. Press Ctrl+C again to quit at once without saving.",
    );
    expect(requestMessage('SIGTERM', 'abandon-update')).toContain("abandoning the current update, then saving 'latest'. Send SIGTERM again to quit");
    expect(requestMessage('requested', 'finish-update')).toBe("mario-rl: stop requested: finishing the current update, then saving 'latest'.");
    expect(requestMessage('maxWallTime', 'finish-update')).toMatch(/^mario-rl: stop at maxWallTime: /);
  });

  it('turns the first signal into a request and the second into a forced exit', () => {
    const listeners = new Map<string, (s: NodeJS.Signals) => void>();
    const source: SignalSource = {
      on: (e, l) => listeners.set(e, l),
      off: (e) => listeners.delete(e),
    };
    const requests: string[] = [];
    const forced: string[] = [];
    const c = new ShutdownController({ source, onRequest: (r) => requests.push(r), onForceExit: (s) => forced.push(s) }).install();
    expect([...listeners.keys()]).toEqual(['SIGINT', 'SIGTERM']);
    expect(c.stopRequested).toBe(false);
    expect(c.exitCode).toBe(0);
    listeners.get('SIGTERM')!('SIGTERM');
    expect(c.stopRequested).toBe(true);
    expect(c.abandonUpdate).toBe(false);
    expect(c.reason).toBe('SIGTERM');
    expect(c.abortSignal.aborted).toBe(true);
    expect(c.exitCode).toBe(143);
    expect(requests).toEqual(['SIGTERM']);
    expect(forced).toEqual([]);
    listeners.get('SIGINT')!('SIGINT');
    expect(forced).toEqual(['SIGINT']);
    c.dispose();
    expect(listeners.size).toBe(0);
  });

  it('programmatic requests keep exit code 0; abandon mode says to drop the update', () => {
    const source: SignalSource = { on: () => undefined, off: () => undefined };
    const c = new ShutdownController({ source, mode: 'abandon-update', onRequest: () => undefined });
    c.request('maxWallTime');
    c.request('requested');
    expect(c.reason).toBe('maxWallTime');
    expect(c.abandonUpdate).toBe(true);
    expect(c.exitCode).toBe(0);
    expect(() => new ShutdownController({ mode: 'later' as never })).toThrow(/for mode but received "later"/);
  });
});

describe('SIGINT in a training process', () => {
  it('finishes the update, writes a loadable latest and exits 130', async () => {
    const { code, out } = await runChild(40, 'finish-update', [['SIGINT', 'update 1']]);
    expect(out).toContain('stop requested: SIGINT');
    expect(code).toBe(130);
    const ck = readCheckpoint(join(dir, 'latest.ckpt'));
    const updates = ck.header.globalUpdate;
    expect(updates).toBeGreaterThanOrEqual(1);
    expect(out).toContain(`saved ${updates}`);
    expect(ck.header.globalStep).toBe(updates * 64);
    const params = new Float32Array(ck.sections.params.slice().buffer);
    expect(params[5]).toBe(5 * updates); // state after exactly `updates` whole updates
  });

  it('abandon mode saves the state before the interrupted update (SIGTERM, exit 143)', async () => {
    const { code } = await runChild(400, 'abandon-update', [['SIGTERM', 'update 1']]);
    expect(code).toBe(143);
    const ck = readCheckpoint(join(dir, 'latest.ckpt'));
    expect(ck.header.globalUpdate).toBe(1); // signalled during update 2, which was dropped
  });

  it('a second signal forces exit without waiting for the update', async () => {
    const { code, signal, ms, out } = await runChild(20_000, 'finish-update', [
      ['SIGINT', 'ready'],
      ['SIGINT', 'stop requested'],
    ]);
    // It dies of the signal itself (a shell reports status 130), not through process.exit().
    expect(signal).toBe('SIGINT');
    expect(code).toBeNull();
    expect(ms).toBeLessThan(20_000);
    expect(out).not.toContain('saved');
    expect(out).toContain('mario-rl: SIGINT again: quitting without saving.');
    expect(existsSync(join(dir, 'latest.ckpt'))).toBe(false);
  });
});
