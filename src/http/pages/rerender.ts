import type { Next } from 'koa';
import { Conflict, HatError, InvalidInput, NotAllowed, NotAuthenticated, NotFound, TooManyAttempts } from '../../errors.js';
import type { AppContext } from '../context.js';
import { answersJson, httpTitle, setRetryAfter } from '../errors.js';

/*
 * The one way a page form answers a problem the person can fix or wait out: it shows the same
 * page again, with what they typed and the problem at its place. Modelled on node-oidc-provider's
 * ReRenderError: a route throws `ReRender` (or lets `onPage` turn a domain error into one), and
 * the one middleware below renders the page with the right status — 429 with `Retry-After`, as
 * the API answers do. Everything else still becomes an error page in http/errors.ts.
 */

/** What went wrong with a form, for its page to show. */
export interface FormProblem {
  status: number;
  /** Field → message, shown at the field and in the page's error summary. */
  fields: Record<string, string>;
  /** A message about the whole form. */
  alert?: string;
  /** The domain error behind it: pages word some of them their own way (a wrong password). */
  cause?: HatError;
  /** For a refusal after too many attempts: whole minutes to wait (at least 1). */
  retryMinutes?: number;
}

/** Renders a page; `problem` is set when it is shown again because of one. */
export type Page = (ctx: AppContext, problem?: FormProblem) => Promise<void>;

/** Thrown by a page route: show `page` again with `problem`. */
export class ReRender extends Error {
  constructor(
    readonly page: Page,
    readonly problem: FormProblem,
  ) {
    super(`re-render with ${problem.status}`);
  }
}

/**
 * The problem a person can act on, from a domain error: wrong credentials, too many attempts,
 * something refused or not found, and bad or taken values of a named field. Null for anything else.
 */
export function problemOf(err: unknown): FormProblem | null {
  if (err instanceof TooManyAttempts) {
    return { status: err.status, fields: {}, alert: err.detail, cause: err, retryMinutes: Math.max(1, Math.ceil(err.retryAfterSeconds / 60)) };
  }
  if (err instanceof NotAuthenticated || err instanceof NotAllowed || err instanceof NotFound) {
    return { status: err.status, fields: {}, alert: err.detail, cause: err };
  }
  if ((err instanceof InvalidInput || err instanceof Conflict) && err.field) {
    return { status: err.status, fields: { [err.field]: err.detail }, cause: err };
  }
  return null;
}

/** A domain error class a page may show itself (the route names which). */
type Shown = abstract new (...args: never[]) => HatError;

/**
 * Runs `action`; when it throws one of the errors `shown` names, and the person can act on it
 * (see `problemOf`), `page` is shown again with the problem. Anything else goes on to the error page.
 */
export async function onPage<T>(page: Page, shown: readonly Shown[], action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    const problem = shown.some((kind) => err instanceof kind) ? problemOf(err) : null;
    throw problem ? new ReRender(page, problem) : err;
  }
}

/** The one handler of `ReRender`; mounted after the session, so that the page can still write to it. */
export async function reRenderPages(ctx: AppContext, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (!(err instanceof ReRender)) throw err;
    const { page, problem } = err;
    if (problem.cause instanceof TooManyAttempts) setRetryAfter(ctx, problem.cause);
    ctx.status = problem.status;
    // SPEC 3: a client that accepts only JSON gets the same facts as the page, in the API's shape.
    if (answersJson(ctx)) {
      ctx.body = { message: problem.cause?.message ?? httpTitle(problem.status), cause: problem.cause?.detail ?? problem.alert ?? Object.values(problem.fields).join('; ') };
      return;
    }
    await page(ctx, problem);
    ctx.status = problem.status;
  }
}
