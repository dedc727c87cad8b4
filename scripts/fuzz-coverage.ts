/**
 * Line and branch coverage from gcov's JSON (`gcov --json-format --stdout`), for bench/fuzz.ts:
 * which lines of the emulator a fuzz run executed. A header's lines come once per object file that
 * includes it; they are merged by file and line (covered when any object ran them).
 */

/** One source file of gcov's JSON output (the fields used here). */
export interface GcovFile {
  file: string;
  lines: { line_number: number; count: number; branches?: { count: number }[] }[];
}

/** What {@link coverageOf} counts: keys `file:line` of executed lines, totals of instrumented ones. */
export interface Coverage {
  lines: Set<string>;
  lineTotal: number;
  /** Branch outcomes (`file:line:index`) taken at least once, of `branchTotal`. */
  branches: number;
  branchTotal: number;
}

/**
 * Merges gcov files. `pick` maps a file name to the name to count it under, or undefined to leave
 * it out (system headers, other folders).
 */
export function coverageOf(files: readonly GcovFile[], pick: (file: string) => string | undefined): Coverage {
  const lines = new Map<string, boolean>();
  const branches = new Map<string, boolean>();
  for (const f of files) {
    const name = pick(f.file);
    if (name === undefined) continue;
    for (const l of f.lines) {
      const key = `${name}:${l.line_number}`;
      lines.set(key, (lines.get(key) ?? false) || l.count > 0);
      (l.branches ?? []).forEach((b, i) => {
        const bk = `${key}:${i}`;
        branches.set(bk, (branches.get(bk) ?? false) || b.count > 0);
      });
    }
  }
  const covered = new Set([...lines].filter(([, hit]) => hit).map(([k]) => k));
  return { lines: covered, lineTotal: lines.size, branches: [...branches.values()].filter(Boolean).length, branchTotal: branches.size };
}
