import type { Connection, Model } from 'mongoose';
import { activitySchema, type ActivityDoc } from './activity.js';
import { applicationSchema, type ApplicationDoc } from './applications.js';
import { approvalSchema, type ApprovalDoc } from './approvals.js';
import { prepareAttempts } from './attempts.js';
import { preparing, type Transaction } from './connection.js';
import { grantSchema, type GrantDoc } from './grants.js';
import { hatSchema, type HatDoc } from './hats.js';
import { keySchema, type KeyDoc } from './keys.js';
import { recordSchema, type RecordDoc } from './records.js';
import { sequenceSchema, type SequenceDoc } from './sequences.js';
import { sessionSchema, type SessionDoc } from './sessions.js';

/**
 * One mongoose model per collection. Each aggregate module defines its documents' schema; a write
 * that spans two collections (a HAT and its first key; a grant and the HAT's revision) uses both
 * models inside one transaction, so every aggregate sees all of them.
 */
export interface Models {
  hats: Model<HatDoc>;
  keys: Model<KeyDoc>;
  sessions: Model<SessionDoc>;
  activity: Model<ActivityDoc>;
  applications: Model<ApplicationDoc>;
  grants: Model<GrantDoc>;
  approvals: Model<ApprovalDoc>;
  records: Model<RecordDoc>;
  sequences: Model<SequenceDoc>;
}

/** What every aggregate module of the MongoDB store is built on. */
export interface Mongo {
  readonly conn: Connection;
  readonly models: Models;
  readonly transaction: Transaction;
}

/** Makes the models and, awaited, their collections and indexes (see `preparing`). */
export async function openModels(conn: Connection): Promise<Models> {
  const models: Models = {
    hats: conn.model<HatDoc>('Hat', hatSchema(), 'hats'),
    keys: conn.model<KeyDoc>('Key', keySchema(), 'keys'),
    sessions: conn.model<SessionDoc>('Session', sessionSchema(), 'sessions'),
    activity: conn.model<ActivityDoc>('Activity', activitySchema(), 'activity'),
    applications: conn.model<ApplicationDoc>('Application', applicationSchema(), 'applications'),
    grants: conn.model<GrantDoc>('Grant', grantSchema(), 'grants'),
    approvals: conn.model<ApprovalDoc>('Approval', approvalSchema(), 'approvals'),
    records: conn.model<RecordDoc>('Record', recordSchema(), 'records'),
    sequences: conn.model<SequenceDoc>('Sequence', sequenceSchema(), 'sequences'),
  };
  // Collections must exist before a transaction writes to them (older servers refuse to create
  // one inside a transaction); createIndexes only adds what is missing, so several processes
  // starting at once, or a newer version beside an older one, do not fight over indexes.
  await preparing(conn, async () => {
    for (const model of Object.values(models) as Model<unknown>[]) {
      await model.init();
      await model.createIndexes();
    }
    await prepareAttempts(conn);
  });
  return models;
}
