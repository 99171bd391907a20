import { randomUUID } from 'node:crypto';
import { NotFound, Titles } from '../errors.js';
import type { ApprovalRecord, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import { nextSecond, untilSecond } from './clock.js';
import { hostOf } from './redirects.js';

/**
 * The generic services an owner approved through /hatlogin (SPEC 6.6): "<name> at <origin> may
 * learn that you own this HAT". The one owner of approval records: the login flow remembers and
 * reuses approvals here, the dashboard lists and revokes them here, and token validation asks
 * here whether one still stands. Revoking one makes its tokens stop working at once and brings
 * the approval page back the next time that service sends the owner here.
 */
export class Approvals {
  constructor(
    private readonly store: Store,
    private readonly activity: ActivityLog,
  ) {}

  /** Newest first. */
  list(hat: string): Promise<ApprovalRecord[]> {
    return this.store.approvals.list(hat);
  }

  /** One approval of the HAT by id; NotFound (404) when there is none. */
  async get(hat: string, id: string): Promise<ApprovalRecord> {
    const approval = await this.store.approvals.get(hat, id);
    if (!approval) throw new NotFound('This HAT has no such approved service', { title: Titles.approvalNotFound });
    return approval;
  }

  /** The approval behind a `validate` token of `name` sent to `origin`; null once revoked. */
  standing(hat: string, name: string, origin: string): Promise<ApprovalRecord | null> {
    return this.store.approvals.find(hat, name, origin);
  }

  /**
   * When the owner approved `name` at `origin` before, notes that it is used again and returns
   * true once a token issued now would stand; false when the owner must be asked.
   */
  async reuse(hat: string, name: string, origin: string): Promise<boolean> {
    const approval = await this.store.approvals.find(hat, name, origin);
    if (!approval) return false;
    await this.store.approvals.touch(hat, approval.id, new Date());
    await untilSecond(approval.tokensNotBefore);
    return true;
  }

  /**
   * Remembers that the owner approved `name` at `origin` (or notes its use, when it already was),
   * and returns once a token issued now would stand.
   */
  async approve(hat: string, name: string, origin: string): Promise<void> {
    if (await this.reuse(hat, name, origin)) return;
    const now = new Date();
    // Strictly after every token issued so far: an approval revoked and given again within
    // one second must not revive that second's tokens. Ours waits for that second.
    const tokensNotBefore = nextSecond();
    await this.store.approvals.put({ id: randomUUID(), hat, name, origin, tokensNotBefore, createdAt: now, lastUsedAt: now });
    await untilSecond(tokensNotBefore);
  }

  /** Removes the approval and logs the revocation; NotFound (404) when the HAT has no such approval. */
  async revoke(hat: string, id: string, actor: { clientIp: string; via?: string }): Promise<ApprovalRecord> {
    const approval = await this.store.approvals.get(hat, id);
    if (!approval || !(await this.store.approvals.remove(hat, id))) {
      throw new NotFound('This HAT has no such approved service', { title: Titles.approvalNotFound });
    }
    await this.activity.record({
      hat,
      type: 'revocation',
      via: actor.via ?? 'dashboard',
      service: approval.name,
      redirectHost: hostOf(approval.origin) ?? approval.origin,
      clientIp: actor.clientIp,
    });
    return approval;
  }
}
