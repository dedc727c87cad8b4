/**
 * A real nats-server for the distributed tests and bench: JetStream on, 127.0.0.1, a free port, its
 * store in a temp folder; stop() and start() again on the same port and store (a broker restart).
 * `findNatsServer()` says why there is none (the tests skip with that message):
 * scripts/install-nats.sh installs Debian's nats-server.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** The nats-server binary's path, or why there is none. */
export function findNatsServer(): { path: string } | { missing: string } {
  const r = spawnSync('bash', [join(root, 'scripts/install-nats.sh'), '--check'], { encoding: 'utf8' });
  if (r.status === 0) return { path: r.stdout.trim() };
  return { missing: (r.stderr || r.stdout).trim() || 'nats-server not found' };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** A nats-server with JetStream on 127.0.0.1. */
export class NatsServer {
  readonly port: number;
  readonly dir: string;
  readonly url: string;
  #binary: string;
  #child: ChildProcess | null = null;
  #conf: string;
  /** Everything the server printed (for failure messages). */
  output = '';

  /** The running server's process id (the bench reads its CPU time); undefined while stopped. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  private constructor(binary: string, port: number, options: { maxPayload?: number; auth?: { user: string; password: string } }) {
    this.#binary = binary;
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'mario-rl-nats-'));
    const auth = options.auth ? `authorization { user: "${options.auth.user}", password: "${options.auth.password}" }\n` : '';
    this.#conf = join(this.dir, 'nats.conf');
    writeFileSync(
      this.#conf,
      `listen: 127.0.0.1:${port}\nmax_payload: ${options.maxPayload ?? 8 * 1024 * 1024}\njetstream { store_dir: "${join(this.dir, 'js')}" }\n${auth}`,
    );
    this.url = options.auth ? `nats://${options.auth.user}:${options.auth.password}@127.0.0.1:${port}` : `nats://127.0.0.1:${port}`;
  }

  /** Starts a server on a free port (resolves once it accepts clients). */
  static async start(binary: string, options: { maxPayload?: number; auth?: { user: string; password: string } } = {}): Promise<NatsServer> {
    const s = new NatsServer(binary, await freePort(), options);
    await s.start();
    return s;
  }

  /** Starts (again) with the same port and store. */
  async start(): Promise<void> {
    if (this.#child) return;
    const child = spawn(this.#binary, ['-c', this.#conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`nats-server did not start in 20 s:\n${this.output}`)), 20_000);
      const onData = (d: Buffer) => {
        this.output += d.toString();
        if (this.output.includes('Server is ready')) {
          clearTimeout(timer);
          ok();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`nats-server exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** Stops the server (SIGKILL when `hard`: a crash), keeping its store. */
  async stop(hard = false): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    if (child.exitCode !== null) return;
    await new Promise<void>((ok) => {
      child.once('exit', () => ok());
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
  }

  /** Stops the server and deletes its store. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
