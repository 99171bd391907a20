import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activityView } from '../../../src/http/dashboard-view.js';
import { ACTIVITY_TYPES, type ActivityEntry, type ActivityType } from '../../../src/store/ports.js';

function pageOf(entries: ActivityEntry[]) {
  return { entries, page: 1, pages: 1, total: entries.length, perPage: 50 };
}

function entry(type: ActivityType, via = 'dashboard'): ActivityEntry {
  return { id: `id-${type}`, hat: 'alice', at: new Date('2026-12-01T10:00:00Z'), type, via };
}

describe("the dashboard's activity list (http/dashboard-view.ts)", () => {
  it('describes every activity type in words, never by its code', () => {
    const rows = activityView(pageOf(ACTIVITY_TYPES.map((t) => entry(t)))).rows;
    assert.equal(rows.length, ACTIVITY_TYPES.length);
    for (const [i, type] of ACTIVITY_TYPES.entries()) {
      const what = rows[i]!.what;
      assert.ok(what.trim().length > 0, `${type} has a description`);
      assert.notEqual(what, type, `${type} is described, not shown as its code`);
      assert.doesNotMatch(what, /_/, `${type}: "${what}" reads as words`);
    }
  });

  it('says what a password reset is, and that it came through a link in an email', () => {
    const [row] = activityView(pageOf([entry('password_reset', 'recovery')])).rows;
    assert.equal(row!.what, 'Password reset from a link in an email');
    assert.equal(row!.via, 'Link in an email');
  });
});
