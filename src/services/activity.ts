import { randomUUID } from 'node:crypto';
import type { ActivityEntry, Store } from '../store/ports.js';

export type NewActivity = Omit<ActivityEntry, 'id' | 'at'>;

/** The HAT's activity log: who logged in, approved, denied, revoked or failed, and from where. */
export class ActivityLog {
  constructor(private readonly store: Store) {}

  record(entry: NewActivity): Promise<void> {
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
