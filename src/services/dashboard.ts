import { InvalidInput, Titles } from '../errors.js';
import type { ActivityEntry, ApprovalRecord, HatRecord, Permission } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import type { ApplicationChange, ApplicationStatus, HatApplications } from './hat-applications.js';
import type { Approvals } from './approvals.js';
import type { Attempt, Owners } from './owners.js';
import { permissionsKey } from './permissions.js';
import { passwordLengthProblem } from './strength.js';

/** Everything the owner has let in, and what they could let in (SPEC 7). */
export interface Overview {
  /** Applications enabled on this HAT, by name. */
  applications: ApplicationStatus[];
  /** Generic websites the owner approved, most recently used first. */
  websites: ApprovalRecord[];
  /** Registered applications the owner has not enabled, by name. */
  available: ApplicationStatus[];
}

export interface ActivityPage {
  entries: ActivityEntry[];
  page: number;
  pages: number;
  total: number;
  perPage: number;
}

export interface PasswordChange {
  oldPassword: string;
  newPassword: string;
  newPasswordRepeat: string;
}

export type FieldProblems<F extends string> = Partial<Record<F, string>>;

export const ACTIVITY_PER_PAGE = 20;
/** The newest entries the dashboard itself shows (a phone scrolls past them); the rest on /activity. */
export const RECENT_ACTIVITY = 8;
const EXPORT_BATCH = 500;


const byName = (a: ApplicationStatus, b: ApplicationStatus) => a.application.name.localeCompare(b.application.name);
const lastUsed = (r: ApprovalRecord) => (r.lastUsedAt ?? r.createdAt).getTime();

/**
 * The owner's dashboard: assembles what the owner sees from approvals, applications and the
 * activity log, and carries out what they decide there. It adds no rule of its own beyond the
 * form's (a repeated new password, consent to exactly what the page showed).
 */
export class Dashboard {
  constructor(
    private readonly approvals: Approvals,
    private readonly applications: HatApplications,
    private readonly activity: ActivityLog,
    private readonly owners: Owners,
  ) {}

  async overview(hat: HatRecord): Promise<Overview> {
    const [statuses, websites] = await Promise.all([this.applications.statusFor(hat), this.approvals.list(hat.name)]);
    return {
      applications: statuses.filter((s) => s.enabled).sort(byName),
      websites: [...websites].sort((a, b) => lastUsed(b) - lastUsed(a)),
      available: statuses.filter((s) => !s.enabled).sort(byName),
    };
  }

  /** The newest entries of the activity log, for the dashboard (`total` says how many there are in all). */
  async recentActivity(hat: HatRecord): Promise<ActivityPage> {
    const found = await this.activity.page(hat.name, 1, RECENT_ACTIVITY);
    return { entries: found.entries, page: 1, pages: Math.max(1, Math.ceil(found.total / RECENT_ACTIVITY)), total: found.total, perPage: RECENT_ACTIVITY };
  }

  /** One page of the activity log, newest first; a page past the end shows the last one. */
  async activityPage(hat: HatRecord, page: number): Promise<ActivityPage> {
    if (!Number.isSafeInteger(page) || page < 1) throw new InvalidInput('page must be a whole number from 1 up', { field: 'page' });
    let found = await this.activity.page(hat.name, page, ACTIVITY_PER_PAGE);
    const pages = Math.max(1, Math.ceil(found.total / ACTIVITY_PER_PAGE));
    if (page > pages) {
      page = pages;
      found = await this.activity.page(hat.name, page, ACTIVITY_PER_PAGE);
    }
    return { entries: found.entries, page, pages, total: found.total, perPage: ACTIVITY_PER_PAGE };
  }

  /**
   * The whole activity log, newest first, in batches (for the JSON download). Entries written
   * while it is read push older ones down a page; they are met twice and given once.
   */
  async *activityExport(hat: HatRecord): AsyncGenerator<ActivityEntry[]> {
    const seen = new Set<string>();
    for (let page = 1; ; page++) {
      const { entries } = await this.activity.page(hat.name, page, EXPORT_BATCH);
      const fresh = entries.filter((e) => !seen.has(e.id));
      for (const e of fresh) seen.add(e.id);
      if (fresh.length) yield fresh;
      if (entries.length < EXPORT_BATCH) return;
    }
  }

  /**
   * The approved website the owner is asked about before revoking it (SPEC 7: revoking asks for
   * confirmation); NotFound (404) when this HAT has no such approval. Changes nothing.
   */
  websiteToRevoke(hat: HatRecord, id: string): Promise<ApprovalRecord> {
    return this.approvals.get(hat.name, id);
  }

  /**
   * The enabled application the owner is asked about before disabling it; null when it is not
   * enabled (nothing to revoke), NotFound (404) when it is not registered. Changes nothing.
   */
  async applicationToRevoke(hat: HatRecord, id: string): Promise<ApplicationStatus | null> {
    const status = await this.applications.status(hat, id);
    return status.enabled ? status : null;
  }

  /** Revokes an approved website: its `validate` tokens are refused from the next request on. */
  revokeWebsite(hat: HatRecord, id: string, actor: { clientIp: string }): Promise<ApprovalRecord> {
    return this.approvals.revoke(hat.name, id, { clientIp: actor.clientIp, via: 'dashboard' });
  }

  /**
   * Disables an enabled application: its tokens are refused from the next request on.
   * Null when it was not enabled (a second click, another tab); 404 when it is not registered.
   */
  async disableApplication(hat: HatRecord, id: string, actor: { clientIp: string }): Promise<ApplicationStatus | null> {
    const status = await this.applications.status(hat, id);
    if (!status.enabled) return null;
    return this.applications.disable(hat, id, this.change(actor));
  }

  /**
   * Enables an application with consent to what the page showed (`shownKey`, see
   * `permissionsKey`; null when the owner's answer matches no page shown). When the registration
   * has changed since, nothing is enabled and `changed` is true: the owner must see the new
   * request first. NotFound (404) when it is not registered.
   */
  async enableApplication(
    hat: HatRecord,
    id: string,
    shownKey: string | null,
    actor: { clientIp: string },
  ): Promise<{ status: ApplicationStatus; changed: boolean }> {
    const status = await this.applications.status(hat, id);
    if (permissionsKey(status.application.permissions) !== shownKey) return { status, changed: true };
    return { status: await this.applications.enable(hat, id, this.change(actor)), changed: false };
  }

  /**
   * What is wrong with the form before the old password is even checked: only what costs
   * nothing to find. The strength of the new password is estimated after the old one was
   * found right (see Owners.changePassword), never for someone who does not know it.
   */
  passwordChangeProblems(_hat: HatRecord, input: PasswordChange): FieldProblems<keyof PasswordChange> {
    const problems: FieldProblems<keyof PasswordChange> = {};
    if (!input.oldPassword) problems.oldPassword = 'Enter your current password';
    const length = passwordLengthProblem(input.newPassword);
    if (length) problems.newPassword = `The new password ${length}`;
    else if (input.newPassword !== input.newPasswordRepeat) problems.newPasswordRepeat = 'The repeated password does not match the new password';
    return problems;
  }

  /**
   * Changes the password (Owners.changePassword: the old one is checked and throttled, the new
   * one must meet the strength rule, and every owner token and browser session of the HAT ends,
   * and the services' tokens too unless `keepServices`). Throws NotAllowed for a wrong old
   * password. The form's own rules (`passwordChangeProblems`) are the caller's to check first.
   */
  async changePassword(
    hat: HatRecord,
    input: PasswordChange & { keepServices?: boolean },
    attempt: Omit<Attempt, 'via'>,
  ): Promise<void> {
    if (input.newPassword !== input.newPasswordRepeat) {
      throw new InvalidInput('The repeated password does not match the new password', {
        field: 'newPasswordRepeat',
        title: Titles.invalidPassword,
      });
    }
    await this.owners.changePassword(hat, input.oldPassword, input.newPassword, { ...attempt, via: 'dashboard' }, {
      keepServices: input.keepServices === true,
    });
  }

  private change(actor: { clientIp: string }): ApplicationChange {
    return { via: 'dashboard', clientIp: actor.clientIp };
  }
}
