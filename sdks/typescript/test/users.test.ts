/**
 * Users end to end: an organisation admin invites a viewer, who accepts without a key and
 * gets a key of their own; the viewer may read but not change, and another organisation
 * does not see the user.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { TavoAPIError, TavoNotFoundError } from 'tavo-sdk';
import { ADMIN_KEY, BASE_URL, unlimitedKey, withClient } from './helpers.js';

async function orgAdminKey(org: string): Promise<string> {
  const response = await fetch(`${BASE_URL}/api/v1/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tier: 'pro', org, role: 'admin', limits: { requests_per_hour: 1e6 } }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { key: string }).key;
}

describe('users', () => {
  it('invites, accepts, and holds each role to what it may do', async () => {
    const org = `people-${randomUUID().slice(0, 8)}`;
    const admin = await orgAdminKey(org);
    const email = `viewer-${randomUUID().slice(0, 8)}@example.com`;
    let userId = '';
    let viewerKey = '';
    await withClient(admin, {}, async (c) => {
      const invited = await c.users.inviteUser(email, { role: 'viewer', name: 'Vi' });
      assert.equal(invited.role, 'viewer');
      assert.ok(invited.invitation?.token, 'the invitation token comes with the answer');
      userId = invited.id;
      const accepted = await c.users.acceptInvitation(invited.invitation.token, 'a long pass phrase 42');
      assert.equal(accepted.user.id, userId);
      assert.ok(accepted.key.key, 'the first key is shown once');
      viewerKey = accepted.key.key;
      assert.ok((await c.users.listUsers()).items.some((u) => u.id === userId));
    });
    await withClient(viewerKey, {}, async (c) => {
      const me = await c.users.me();
      assert.equal(me.email, email);
      assert.equal(me.role, 'viewer');
      await assert.rejects(c.users.inviteUser('someone@example.com'), (error: unknown) =>
        error instanceof TavoAPIError && error.statusCode === 403 && error.code === 'FORBIDDEN');
      const own = await c.users.createKey({ name: 'ci' });
      assert.equal(own.role, 'viewer');
      assert.ok((await c.users.listKeys()).items.some((k) => k.id === own.id));
      assert.ok((await c.users.revokeKey(own.id)).revoked_at);
    });
    await withClient(await unlimitedKey(), {}, async (c) => {
      await assert.rejects(c.users.getUser(userId), TavoNotFoundError);
    });
    await withClient(admin, {}, async (c) => {
      const removed = await c.users.removeUser(userId);
      assert.ok(removed.keys_revoked >= 1);
    });
  });
});
