import type { Next } from 'koa';
import { HatError, Titles, TooManyAttempts } from '../errors.js';
import type { Logger } from '../log.js';
import type { AppContext } from './context.js';
import { isApiPath } from './paths.js';

/** Errors that only HTTP knows about. */
export class PayloadTooLarge extends HatError {
  readonly status = 413;
  constructor(detail: string) {
    super(Titles.payloadTooLarge, detail);
  }
}

export class UnsupportedMediaType extends HatError {
  readonly status = 415;
  constructor(detail: string) {
    super(Titles.unsupportedMediaType, detail);
  }
}

export class MethodNotAllowed extends HatError {
  readonly status = 405;
  constructor(detail = 'This method is not allowed here') {
    super(Titles.methodNotAllowed, detail);
  }
}

/** A form that failed its CSRF check (403). */
export class CsrfRejected extends HatError {
  readonly status = 403;
  constructor(detail = 'The form expired or did not come from this site; please try again') {
    super(Titles.forbidden, detail);
  }
}

/** A refusal after too many attempts says when to try again, on an API answer and on a page alike. */
export function setRetryAfter(ctx: AppContext, err: TooManyAttempts): void {
  ctx.set('Retry-After', String(err.retryAfterSeconds));
}

/** SPEC 3: the path decides JSON or page; other paths answer pages unless only JSON is accepted. */
export function answersJson(ctx: AppContext): boolean {
  const p = ctx.path;
  if (isApiPath(p)) return true;
  const accept = ctx.get('Accept');
  return accept !== '' && ctx.accepts('html', 'json') === 'json' && !/text\/html|\*\/\*/.test(accept);
}

interface ErrorAnswer {
  status: number;
  message: string;
  cause: string;
}

/** The one place where errors become responses: SPEC 3 JSON for APIs, a readable page for people. */
/** `home`: the cluster's start page, the way on from an error page on an unknown host. */
export function errorResponder(log: Logger, home = '/') {
  return async function respondToErrors(ctx: AppContext, next: Next): Promise<void> {
    try {
      await next();
      // Answered on the raw response (the OAuth provider, routes/oauth.ts): a page made here would
      // never be sent, and rendering one for each of its 4xx answers cost more than the answer.
      if (ctx.respond === false) return;
      if (ctx.status === 404 && ctx.body == null) {
        await answer(ctx, home, { status: 404, message: Titles.notFound, cause: `Nothing at ${ctx.method} ${ctx.path}` });
      } else if (ctx.status >= 400 && ctx.body == null) {
        // A status set without a body (the router's 501 for an unknown method) still gets SPEC 3.
        const title = httpTitle(ctx.status);
        await answer(ctx, home, { status: ctx.status, message: title, cause: `${title}: ${ctx.method} ${ctx.path}` });
      }
    } catch (err) {
      const known = toAnswer(err);
      if (known.status >= 500) log.error({ err, path: ctx.path, method: ctx.method }, 'request failed');
      if (err instanceof TooManyAttempts) setRetryAfter(ctx, err);
      if (known.status === 405 && err && typeof err === 'object' && 'headers' in err) {
        const allow = (err as { headers?: Record<string, string> }).headers?.Allow;
        if (allow) ctx.set('Allow', allow);
      }
      await answer(ctx, home, known);
    }
  };
}

function toAnswer(err: unknown): ErrorAnswer {
  if (err instanceof HatError) return { status: err.status, message: err.message, cause: err.detail };
  // Errors thrown by Koa, raw-body and the router carry a status; their text is safe to show for 4xx.
  const status = (err as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, message: httpTitle(status), cause: (err as Error).message || httpTitle(status) };
  }
  return { status: 500, message: 'Internal Server Error', cause: 'Something went wrong on our side; it has been logged' };
}

async function answer(ctx: AppContext, home: string, a: ErrorAnswer): Promise<void> {
  ctx.status = a.status;
  if (answersJson(ctx)) {
    ctx.body = { message: a.message, cause: a.cause };
    return;
  }
  try {
    await ctx.render('error', { status: a.status, title: a.message, cause: a.cause, home });
    ctx.status = a.status;
  } catch {
    ctx.type = 'text/plain';
    ctx.body = `${a.status} ${a.message}: ${a.cause}`;
  }
}

/** The SPEC 3 `message` of a status answered without a domain error of its own. */
export function httpTitle(status: number): string {
  const titles: Record<number, string> = {
    400: Titles.badRequest,
    401: Titles.notAuthenticated,
    403: Titles.forbidden,
    404: Titles.notFound,
    405: Titles.methodNotAllowed,
    413: Titles.payloadTooLarge,
    415: Titles.unsupportedMediaType,
    429: Titles.tooManyRequests,
    431: 'Request Header Fields Too Large',
    501: 'Not Implemented',
  };
  return titles[status] ?? Titles.badRequest;
}
