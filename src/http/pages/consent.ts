import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { pageSession, sessionOf } from '../session.js';

/*
 * "Consent to exactly what was shown": the one mechanism behind every page where the owner lets
 * a service in (/hatlogin's approval page, the dashboard's Enable buttons, and the OAuth consent
 * page). Showing such a page records an offer in the server-side session: for each service on
 * it, exactly the permissions the page listed (a `permissionsKey`), and whatever the answer must
 * act on (the request the page was about). The answer claims the offer, once: it can only consent
 * to what this browser was shown, and the service then compares that with what is asked for now —
 * when it changed in between, nothing is given and the page is shown again.
 */

export interface ConsentOffer {
  /** Service → the `permissionsKey` of what the page listed for it. */
  shown: Record<string, string>;
  /** What the answer acts on, exactly as shown (e.g. /hatlogin's name and redirect). */
  request: Record<string, string>;
}

/** What an answer consents to: one service of an offer. */
export interface Consent {
  service: string;
  permissions: string;
  request: Record<string, string>;
}

/** Offers kept per session: a few open tabs, and the dashboard's one. */
const MAX_OFFERS = 8;

/**
 * Records that this page shows `shown` (service → permissions key) and returns the offer's id,
 * for the page's form. A page that is shown again under a fixed `id` (the dashboard) replaces its
 * earlier offer; otherwise each showing gets a new random id (one per tab).
 */
export function offerConsent(
  ctx: AppContext,
  shown: Record<string, string>,
  options: { id?: string; request?: Record<string, string> } = {},
): string {
  const session = pageSession(ctx);
  const id = options.id ?? randomBytes(16).toString('base64url');
  // Newest last (keys keep their insertion order); a page shown again moves to the end.
  const offers = { ...(session.consents ?? {}) };
  delete offers[id];
  offers[id] = { shown, request: options.request ?? {} };
  session.consents = Object.fromEntries(Object.entries(offers).slice(-MAX_OFFERS));
  return id;
}

/**
 * Claims the consent a form answers: offer `id`, for `service` (or its only service when not
 * named). Null when this session was not shown it, or it was answered already. When the form
 * also names the permissions it consents to (`echoed`), they must be the ones shown.
 */
export function claimConsent(
  ctx: AppContext,
  id: string | undefined,
  which: { service?: string; echoed?: string } = {},
): Consent | null {
  const session = sessionOf(ctx);
  const offers = session?.consents ?? {};
  const offer = id && Object.hasOwn(offers, id) ? offers[id] : undefined;
  if (!session || !offer || !id) return null;
  const services = Object.keys(offer.shown);
  const service = which.service ?? (services.length === 1 ? services[0] : undefined);
  if (service === undefined || !Object.hasOwn(offer.shown, service)) return null;
  const permissions = offer.shown[service]!;
  // Answered once: the service leaves the offer, and the offer goes when nothing is left in it.
  const { [service]: _claimed, ...rest } = offer.shown;
  const remaining = { ...offers };
  if (Object.keys(rest).length) remaining[id] = { ...offer, shown: rest };
  else delete remaining[id];
  session.consents = remaining;
  if (which.echoed !== undefined && which.echoed !== permissions) return null;
  return { service, permissions, request: offer.request };
}
