import { randomUUID } from 'node:crypto';
import type { Metrics } from '../metrics.js';
import type { ActivityEntry, Store } from '../store/ports.js';

export type NewActivity = Omit<ActivityEntry, 'id' | 'at'>;

/** The HAT's activity log: who logged in, approved, denied, revoked or failed, and from where. */
export class ActivityLog {
  constructor(
    private readonly store: Store,
    private readonly metrics?: Metrics,
  ) {}

  record(entry: NewActivity): Promise<void> {
    // Every login, failed or throttled login is written here, whatever the channel: count it once here.
    const outcome = LOGIN_OUTCOMES[entry.type];
    if (outcome) this.metrics?.login(entry.via, outcome);
    return this.store.activity.append({ ...entry, id: randomUUID(), at: new Date() });
  }

  async page(hat: string, page: number, perPage: number): Promise<{ entries: ActivityEntry[]; total: number }> {
    const [entries, total] = await Promise.all([
      this.store.activity.list(hat, { skip: (page - 1) * perPage, take: perPage }),
      this.store.activity.count(hat),
    ]);
    return { entries, total };
  }
}

const LOGIN_OUTCOMES: Partial<Record<ActivityEntry['type'], 'success' | 'failure' | 'throttled'>> = {
  login: 'success',
  login_failed: 'failure',
  login_throttled: 'throttled',
};
