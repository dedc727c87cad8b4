/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. A crash at any point leaves either the old file or the new
 * one, never a mix; a leftover temp file (name starting with `.` and containing `.tmp-`) is
 * ignored by readers and removed by {@link removeStaleTempFiles}.
 */
import { closeSync, fsyncSync, linkSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Hooks to simulate crashes in tests; production code passes nothing. */
export interface AtomicWriteHooks {
  /** Called after the temp file is written and synced, before the rename; throwing simulates a crash there. */
  beforeRename?: (tempPath: string) => void;
}

let tempCounter = 0;

/** The temp-file name used for `target` (same directory, hidden, unique per process and call). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${++tempCounter}`);
}

/** True for names produced by {@link tempPathFor}. */
export function isTempFileName(name: string): boolean {
  return name.startsWith('.') && name.includes('.tmp-');
}

/** Fsyncs a directory so a rename or unlink in it is durable (a no-op where the OS refuses). */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms/filesystems cannot fsync directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Atomically replaces `target` with the concatenation of `parts`. */
export function writeFileAtomic(target: string, parts: readonly Uint8Array[], hooks: AtomicWriteHooks = {}): void {
  const temp = tempPathFor(target);
  const fd = openSync(temp, 'w');
  try {
    for (const part of parts) {
      let offset = 0;
      while (offset < part.length) offset += writeSync(fd, part, offset, part.length - offset);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  hooks.beforeRename?.(temp);
  renameSync(temp, target);
  fsyncDirectory(dirname(target));
}

/**
 * Atomically points `target` at the same file as `source` through a hard link (no copy); returns
 * false when the filesystem does not support hard links, so the caller can write a copy instead.
 */
export function linkFileAtomic(source: string, target: string): boolean {
  const temp = tempPathFor(target);
  try {
    linkSync(source, temp);
  } catch {
    return false;
  }
  renameSync(temp, target);
  fsyncDirectory(dirname(target));
  return true;
}

/** Deletes leftover temp files in `dir` (from a crash mid-write); returns their names. */
export function removeStaleTempFiles(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (isTempFileName(name)) {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}
