package avp.actor;

/** A failure with a code of the project vocabulary (avp/errors.py) and, for an HTTP error, its status. */
public final class ClientError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public final String code;
  /** The HTTP status, or null for a client-side error. */
  public final Integer status;

  public ClientError(String code, String message, Integer status) {
    super(message);
    this.code = code;
    this.status = status;
  }

  public ClientError(String code, String message) {
    this(code, message, null);
  }
}
