/** People of an organisation and their keys (`client.users`). */
import type { PageInfo } from './index.js';

export type UserRole = 'admin' | 'member' | 'viewer';

/** A person in the organisation: `viewer` reads; `member` also scans, triages and manages
 * repositories, webhooks and schedules; `admin` also manages users and reads the audit log. */
export interface User {
  id: string;
  email: string;
  role: string;
  status: string;
  org_id?: string | null;
  name?: string;
  tier?: string | null;
  invited_by?: string | null;
  invitation_expires_at?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  activated_at?: string | null;
}

export interface Invitation {
  token: string;
  expires_at?: string | null;
}

/** `invitation.token` is shown only in this answer. */
export interface InvitedUser extends User {
  invitation?: Invitation | null;
}

export interface RemovedUser extends User {
  keys_revoked: number;
}

export interface UserList extends PageInfo {
  items: User[];
}

/** A key owned by a user; `key` is set only in the answer that made it. */
export interface UserKey {
  id: string;
  prefix: string;
  role: string;
  scope?: string;
  kind?: string;
  name?: string;
  user_id?: string | null;
  org_id?: string | null;
  tier?: string | null;
  created_at?: string | null;
  expires_at?: string | null;
  revoked_at?: string | null;
  key?: string | null;
}

export interface RotatedUserKey extends UserKey {
  replaces?: UserKey | null;
}

export interface UserKeyList extends PageInfo {
  items: UserKey[];
}

export interface AcceptedInvitation {
  user: User;
  key: UserKey;
}

export interface InviteUserParams {
  role?: UserRole;
  name?: string;
  tier?: string;
  invitation_days?: number;
}

export interface CreateUserKeyParams {
  name?: string;
  role?: UserRole;
  scope?: string;
  expires_in_days?: number;
}
