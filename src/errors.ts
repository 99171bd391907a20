/**
 * The domain's errors. Services throw these and never think about HTTP;
 * `src/http/errors.ts` is the one place that turns them into SPEC section 3 responses.
 * Each carries a short title (`message`) and what exactly was wrong (`detail`, sent as `cause`).
 */
export abstract class HatError extends Error {
  abstract readonly status: number;
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the input is not acceptable; `field` names what was wrong when there is one. */
export class InvalidInput extends HatError {
  readonly status = 400;
  constructor(
    detail: string,
    readonly field?: string,
    message = 'Bad Request',
  ) {
    super(message, detail);
  }
}

/** 401: the caller did not prove who they are. */
export class NotAuthenticated extends HatError {
  readonly status = 401;
  constructor(detail: string, message = 'The supplied authentication is invalid') {
    super(message, detail);
  }
}

/** 403: the caller is known but may not do this. */
export class NotAllowed extends HatError {
  readonly status = 403;
  constructor(detail: string, message = 'Forbidden') {
    super(message, detail);
  }
}

export class NotFound extends HatError {
  readonly status = 404;
  constructor(detail: string, message = 'Not Found') {
    super(message, detail);
  }
}

/** 409: a unique name or email is taken, or the thing exists already. */
export class Conflict extends HatError {
  readonly status = 409;
  constructor(
    detail: string,
    readonly field?: string,
    message = 'Conflict',
  ) {
    super(message, detail);
  }
}

/** 429: too many failed attempts; try again after `retryAfterSeconds`. */
export class TooManyAttempts extends HatError {
  readonly status = 429;
  constructor(
    readonly retryAfterSeconds: number,
    detail = 'Too many failed attempts; try again later',
  ) {
    super('Too Many Requests', detail);
  }
}

/** 503: the datastore did not answer. */
export class Unavailable extends HatError {
  readonly status = 503;
  constructor(detail = 'The datastore is not available') {
    super('Service Unavailable', detail);
  }
}

/** Raised by a store adapter when a unique index refuses an insert; services translate it. */
export class UniqueViolation extends Error {
  constructor(readonly field: string) {
    super(`unique constraint violated on ${field}`);
    this.name = 'UniqueViolation';
  }
}
