import type { AppContext } from '../context.js';
import { pageSession, sessionOf } from '../session.js';

/** A message shown once, on the next page this browser sees (after a redirect). */
export interface Notice {
  kind: 'ok' | 'info' | 'error';
  text: string;
}

/** Keeps `text` for the next page (the one mechanism for "it worked" / "please note" messages). */
export function flash(ctx: AppContext, kind: Notice['kind'], text: string): void {
  pageSession(ctx).flash = { kind, text };
}

/** The message kept for this page, if any; it is shown once. */
export function takeFlash(ctx: AppContext): Notice | undefined {
  const session = sessionOf(ctx);
  const notice = session?.flash;
  if (session && notice) delete session.flash;
  return notice;
}
