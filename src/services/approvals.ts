import { NotFound, Titles } from '../errors.js';
import type { ApprovalRecord, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import type { HatDirectory } from './hats.js';
import { hostOf } from './redirects.js';

/**
 * The generic services an owner approved through /hatlogin (SPEC 6.6): "<name> at <origin> may
 * learn that you own this HAT". Revoking one makes its tokens stop working at once and brings
 * the approval page back the next time that service sends the owner here.
 */
export class Approvals {
  constructor(
    private readonly store: Store,
    private readonly directory: HatDirectory,
    private readonly activity: ActivityLog,
  ) {}

  /** Newest first. */
  list(hat: string): Promise<ApprovalRecord[]> {
    return this.store.approvals.list(hat);
  }

  /** Removes the approval and logs the revocation; NotFound (404) when the HAT has no such approval. */
  async revoke(hat: string, id: string, actor: { clientIp: string; via?: string }): Promise<ApprovalRecord> {
    const approval = await this.store.approvals.get(hat, id);
    if (!approval || !(await this.store.approvals.remove(hat, id))) {
      throw new NotFound('This HAT has no such approved service', { title: Titles.approvalNotFound });
    }
    // The removal bumped the HAT's revision; this process must see it before the next request.
    this.directory.forget(hat);
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


