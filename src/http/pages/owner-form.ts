import { readForm } from '../body.js';
import { isLoggedIn } from '../browser-login.js';
import { seeOther, type AppContext } from '../context.js';
import { checkCsrf } from '../session.js';
import { flash } from './flash.js';

const SESSION_ENDED = 'Your session has ended. Please log in again.';

/**
 * Reads a dashboard form that changes something. Without a logged-in session nothing is done
 * and the person is sent to log in (null); with one, the CSRF token must match (403).
 */
export async function ownerForm(ctx: AppContext): Promise<Record<string, string> | null> {
  const form = await readForm(ctx);
  if (!isLoggedIn(ctx)) {
    flash(ctx, 'info', SESSION_ENDED);
    seeOther(ctx, '/');
    return null;
  }
  checkCsrf(ctx, form._csrf);
  return form;
}
