import { InvalidInput, NotAuthenticated, Titles } from '../../errors.js';
import type { Services } from '../../services/index.js';
import { authenticate, ownerOnly } from '../authenticate.js';
import { readJson } from '../body.js';
import { type AppContext, type AppRouter, hatOf } from '../context.js';
import { z } from 'zod';

/** A credential header, percent-decoded as the original did (a `+` stays a `+`). */
function credentialHeader(ctx: AppContext, name: string): string {
  const raw = ctx.get(name);
  if (!raw) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidInput(`The ${name} header is not valid percent-encoding`, { field: name });
  }
}

const passwordChange = z.object({
  password: z.string().max(2000).optional(),
  newPassword: z.string().max(2000),
  /** SPEC 7: by default a change ends the services' tokens too; `true` keeps them. */
  keepServices: z.boolean().optional(),
});

/** Owner tokens: GET /users/access_token, its validation, and POST /control/v2/auth/password (SPEC 5). */
export function tokenRoutes(router: AppRouter, services: Services): void {
  const accessToken = async (ctx: AppContext) => {
    const username = credentialHeader(ctx, 'username');
    const password = credentialHeader(ctx, 'password');
    if (!username || !password) {
      throw new NotAuthenticated('No username or password provided to retrieve token', {
        title: Titles.credentialsRequired,
      });
    }
    const issued = await services.owners.accessToken(hatOf(ctx), username, password, { clientIp: ctx.ip, via: 'api' });
    ctx.set('X-Auth-Token', issued.token);
    ctx.body = { accessToken: issued.token, userId: issued.claims.sub };
  };
  router.get('/users/access_token', accessToken);
  router.get('/user/access_token', accessToken);

  router.get('/users/access_token/validate', authenticate(services), async (ctx) => {
    ctx.body = { message: 'Authenticated' };
  });

  router.post('/control/v2/auth/password', authenticate(services), ownerOnly, async (ctx) => {
    const parsed = passwordChange.safeParse(await readJson(ctx));
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path[0];
      if (field === undefined) throw new InvalidInput('The body must be a JSON object with password and newPassword');
      if (field === 'keepServices') throw new InvalidInput('keepServices must be true or false', { field: 'keepServices' });
      throw new InvalidInput(`${String(field)} must be a string of at most 2000 characters`, { field: String(field) });
    }
    const issued = await services.owners.changePassword(
      hatOf(ctx),
      parsed.data.password ?? '',
      parsed.data.newPassword,
      { clientIp: ctx.ip, via: 'api' },
      { keepServices: parsed.data.keepServices === true },
    );
    ctx.set('X-Auth-Token', issued.token);
    ctx.body = { message: 'Password changed', accessToken: issued.token };
  });
}
