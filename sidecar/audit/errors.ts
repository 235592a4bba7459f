// The errors of the audit log writer, in a module of their own: opening a directory
// (recovery.ts), the writer (log.ts) and failing closed (fail-closed.ts) all raise or tell
// them apart, and callers import them through log.ts or index.ts.

/** An append that was not written. `code`: ENOSPC, EFBIG, EROFS, EACCES, EIO, SIZE_CAP, CLOSED ... */
export class AuditWriteError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'AuditWriteError';
    this.code = code;
  }
}

/** The chain head on disk does not verify: the log refuses to extend a chain it cannot vouch for. */
export class AuditLogCorrupt extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditLogCorrupt';
  }
}
