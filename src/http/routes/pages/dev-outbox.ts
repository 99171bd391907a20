import { clusterAddress } from '../../../config.js';
import type { Services } from '../../../services/index.js';
import { readOutbox } from '../../../services/mail.js';
import type { AppRouter } from '../../context.js';
import { renderPage } from '../../pages/render.js';

/**
 * In development, with no SMTP_URL, the cluster lists the outbox's mails, so that `npm start`
 * alone lets a newcomer try recovery. Never in production: the links in it log a HAT in.
 */
export function devOutboxRoutes(router: AppRouter, services: Services): void {
  const { config } = services;
  if (config.production || config.smtpUrl) return;
  router.get('/dev/outbox', async (ctx) => {
    const mails = (await readOutbox(config.dataDir)).map((m) => ({
      ...m,
      // The text with each URL made a link; everything is escaped by the template.
      parts: m.text.split(/(https?:\/\/\S+)/).map((text, i) => ({ text, link: i % 2 === 1 })),
    }));
    await renderPage(ctx, 'dev-outbox', { mails, cluster: clusterAddress(config) }, { forms: false });
  });
}
