// The failure vocabulary of the verifier: a refused input (with the project's error code) or a
// stated value that differs from the recomputed one.

/** An operation refused its input; `code` is the project's error code (avp/errors.py). */
export class Rejected extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** A case's stated value differs from the one recomputed here. */
export class Mismatch extends Error {}

export function expect(condition: boolean, what: string): void {
  if (!condition) throw new Mismatch(what);
}

/** Run `call`; it must fail with `code`. */
export function mustFail(call: () => unknown, code = "invalid_tag"): void {
  try {
    call();
  } catch (err) {
    if (err instanceof Rejected) {
      expect(err.code === code, `failed with ${err.code}, expected ${code}`);
      return;
    }
    throw err;
  }
  throw new Mismatch(`succeeded where it must fail with ${code}`);
}
