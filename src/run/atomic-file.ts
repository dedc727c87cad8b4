/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. A crash at any point leaves either the old file or the new
 * one, never a mix; a leftover temp file (name starting with `.` and containing `.tmp-`) is
 * ignored by readers and removed by {@link removeStaleTempFiles}.
 */
import { closeSync, fsyncSync, linkSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What an errno code means, for messages (the codes a run directory or a full disk produce). */
const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a path component is not a directory',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
  EEXIST: 'file exists',
};

/** `CODE (what it means)` for an fs error, or its message when it has no code. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string') return ERRNO_TEXT[code] ? `${code}: ${ERRNO_TEXT[code]}` : code;
  return (err as Error)?.message ?? String(err);
}

/**
 * An Error for a failed write of `file` that names the file (Node's `ENOSPC: no space left on
 * device, write` names neither file nor descriptor) and keeps the original `code` and `cause`.
 * Errors that already name the file are returned as they are.
 */
export function fileWriteError(err: unknown, file: string): Error {
  if (err instanceof Error && (err as { file?: string }).file !== undefined) return err;
  const out = new Error(`Could not write ${file}: ${describeFsError(err)}`, { cause: err }) as Error & { code?: string; file?: string };
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string') out.code = code;
  out.file = file;
  return out;
}

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

/** Atomically replaces `target` with the concatenation of `parts`; a failure names `target` ({@link fileWriteError}). */
export function writeFileAtomic(target: string, parts: readonly Uint8Array[], hooks: AtomicWriteHooks = {}): void {
  const temp = tempPathFor(target);
  let fd: number;
  try {
    fd = openSync(temp, 'w');
  } catch (err) {
    throw fileWriteError(err, target);
  }
  try {
    for (const part of parts) {
      let offset = 0;
      while (offset < part.length) offset += writeSync(fd, part, offset, part.length - offset);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw fileWriteError(err, target);
  }
  closeSync(fd);
  hooks.beforeRename?.(temp);
  try {
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw fileWriteError(err, target);
  }
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

/**
 * Closes an append-only log file: `flush()` its pending writes, fsync, close. The file is closed
 * even when the flush or sync fails; that error is thrown naming `file` (fileWriteError).
 */
export function flushSyncClose(fd: number, flush: () => void, file: string): void {
  try {
    flush();
    fsyncSync(fd);
  } catch (err) {
    throw fileWriteError(err, file);
  } finally {
    closeSync(fd);
  }
}
