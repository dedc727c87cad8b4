/** Errors the assembler reports: each names the file and line, and says what was expected. */

/** One problem found in the source. */
export interface AsmDiagnostic {
  file: string;
  line: number;
  message: string;
}

/** Thrown by `assemble` with every problem found (up to a limit), each as `file:line: message`. */
export class AsmError extends Error {
  constructor(readonly diagnostics: readonly AsmDiagnostic[]) {
    super(diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`).join('\n'));
    this.name = 'AsmError';
  }
}

/** Internal: a problem on the line being assembled; the driver adds file and line. */
export class LineError extends Error {}
