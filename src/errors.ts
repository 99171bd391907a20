/**
 * The domain's errors. Services throw these and never think about HTTP;
 * `src/http/errors.ts` is the one place that turns them into SPEC section 3 responses.
 * Each carries a short title (`message`, sent as `message`) and what exactly was wrong
 * (`detail`, sent as `cause`). Options are named so that one class reads the same everywhere:
 * `new InvalidInput(detail, { field, title, cause })`; `cause` is the underlying error, for logs.
 */

/**
 * The titles (SPEC 3 `message`) the server answers with. Clients and tests compare them byte for
 * byte, so they are written once here and never spelled out at a throw site.
 */
export const Titles = {
  badRequest: 'Bad Request',
  invalidAuthentication: 'The supplied authentication is invalid',
  notAuthenticated: 'Not Authenticated',
  credentialsRequired: 'Credentials required',
  forbidden: 'Forbidden',
  notFound: 'Not Found',
  conflict: 'Conflict',
  tooManyRequests: 'Too Many Requests',
  serviceUnavailable: 'Service Unavailable',
  payloadTooLarge: 'Payload Too Large',
  unsupportedMediaType: 'Unsupported Media Type',
  methodNotAllowed: 'Method Not Allowed',
  invalidApplication: 'Invalid application',
  applicationNotFound: 'Application not Found',
  invalidLoginRequest: 'Invalid login request',
  approvalExpired: 'Approval expired',
  approvalNotFound: 'Approval not found',
  invalidPassword: 'Invalid password',
  hatNameMissing: 'HAT name missing',
  invalidHatName: 'Invalid HAT name',
  hatNotFound: 'HAT not found',
  hatUnavailable: 'HAT unavailable',
  duplicateSignup: 'Duplicate Signup',
  dataMissing: 'Data Missing',
  linkExpired: 'Link expired',
  hatDisabled: 'HAT Disabled',
} as const;

/** `Invalid username`, `Invalid email`, …: the sign-up API's title for one bad field. */
export function invalidFieldTitle(field: string): string {
  return `Invalid ${field}`;
}

export interface HatErrorOptions {
  /** Replaces the class's default title; use one of `Titles`. */
  title?: string;
  /** The error this one stands for (kept as `Error.cause`, for logs; never sent). */
  cause?: unknown;
}

export interface FieldErrorOptions extends HatErrorOptions {
  /** The input that was wrong (a body field, query parameter or header). */
  field?: string;
}

export abstract class HatError extends Error {
  abstract readonly status: number;
  constructor(
    title: string,
    readonly detail: string,
    cause?: unknown,
  ) {
    super(title, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
  }
}

/** 400: the input is not acceptable; `field` names what was wrong when there is one. */
export class InvalidInput extends HatError {
  readonly status = 400;
  readonly field?: string;
  constructor(detail: string, options: FieldErrorOptions = {}) {
    super(options.title ?? Titles.badRequest, detail, options.cause);
    this.field = options.field;
  }
}

/** 401: the caller did not prove who they are. */
export class NotAuthenticated extends HatError {
  readonly status = 401;
  constructor(detail: string, options: HatErrorOptions = {}) {
    super(options.title ?? Titles.invalidAuthentication, detail, options.cause);
  }
}

/** 403: the caller is known but may not do this. */
export class NotAllowed extends HatError {
  readonly status = 403;
  constructor(detail: string, options: HatErrorOptions = {}) {
    super(options.title ?? Titles.forbidden, detail, options.cause);
  }
}

export class NotFound extends HatError {
  readonly status = 404;
  constructor(detail: string, options: HatErrorOptions = {}) {
    super(options.title ?? Titles.notFound, detail, options.cause);
  }
}

/** 409: a unique name or email is taken, or the thing exists already. */
export class Conflict extends HatError {
  readonly status = 409;
  readonly field?: string;
  constructor(detail: string, options: FieldErrorOptions = {}) {
    super(options.title ?? Titles.conflict, detail, options.cause);
    this.field = options.field;
  }
}

/** 429: too many failed attempts; try again after `retryAfterSeconds` (sent as `Retry-After`). */
export class TooManyAttempts extends HatError {
  readonly status = 429;
  constructor(
    readonly retryAfterSeconds: number,
    options: HatErrorOptions & { detail?: string } = {},
  ) {
    super(
      options.title ?? Titles.tooManyRequests,
      options.detail ?? 'Too many failed attempts; try again later',
      options.cause,
    );
  }
}

/** 503: the datastore did not answer. */
export class Unavailable extends HatError {
  readonly status = 503;
  constructor(detail = 'The datastore is not available', options: HatErrorOptions = {}) {
    super(options.title ?? Titles.serviceUnavailable, detail, options.cause);
  }
}

/** Raised by a store adapter when a unique index refuses an insert; services translate it. */
export class UniqueViolation extends Error {
  constructor(readonly field: string) {
    super(`unique constraint violated on ${field}`);
    this.name = 'UniqueViolation';
  }
}
