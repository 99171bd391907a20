import type { AppContext } from '../context.js';
import { csrfToken } from '../session.js';
import { takeFlash } from './flash.js';

/**
 * Renders a page with what every page gets: the HAT's address on a HAT host, the message kept
 * for it (flash.ts) unless it shows none (`notice: false`: the message waits for the next page),
 * and — unless it has no form that changes something — a CSRF token.
 */
export async function renderPage(
  ctx: AppContext,
  view: string,
  locals: Record<string, unknown> = {},
  options: { forms?: boolean; notice?: boolean } = {},
) {
  const tenant = ctx.state.tenant;
  await ctx.render(view, {
    hatAddress: tenant.kind === 'hat' ? tenant.address : '',
    notice: options.notice === false ? undefined : takeFlash(ctx),
    ...(options.forms === false ? {} : { csrf: csrfToken(ctx) }),
    ...locals,
  });
}

/** A form's fields with a message, in the order the form shows them: for the page's error summary. */
export function errorList(order: readonly string[], errors: Record<string, string | undefined>) {
  return order.filter((field) => errors[field]).map((field) => ({ field, message: errors[field] }));
}
