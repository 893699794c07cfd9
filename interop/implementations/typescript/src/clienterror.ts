// Client-side failures with the project's codes (avp/errors.py), as the actor reports them.

export class ClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}
