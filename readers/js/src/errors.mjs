// The error of an invalid document, thrown by read, open and getTensor.

/** An invalid document. `findings` holds every error (and warning) found. */
export class ModelDocError extends Error {
  constructor(findings) {
    const errors = findings.filter((f) => f.severity === 'error');
    super(errors.map((f) => `${f.code} at ${JSON.stringify(f.pointer)}`).join('; ') || 'invalid document');
    this.name = 'ModelDocError';
    this.findings = findings;
  }
}
