/**
 * People of the organisation (`client.users`): invite, list, get, change role or name,
 * remove (revoking their keys), reissue an invitation; a user's own keys and password.
 * `userId` may be `'me'`: the user whose key the client uses.
 */
import { apiPath } from '../core.js';
import type { RequestOptions } from '../core.js';
import type {
  AcceptedInvitation,
  CreateUserKeyParams,
  InvitedUser,
  InviteUserParams,
  RemovedUser,
  RotatedUserKey,
  User,
  UserKey,
  UserKeyList,
  UserList,
  UserRole,
} from '../types/index.js';
import { Resource } from './base.js';

/** The body without the keys whose value is undefined. */
function defined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

export class Users extends Resource {
  listUsers(params: { role?: UserRole; offset?: number; limit?: number } = {}, options?: RequestOptions): Promise<UserList> {
    return this.core.request({ method: 'GET', path: apiPath('users'), query: defined(params), cacheable: false, options });
  }

  /** Invites a person (admin role); hand them `invitation.token` (shown only now). */
  inviteUser(email: string, params: InviteUserParams = {}, options?: RequestOptions): Promise<InvitedUser> {
    const json = defined({ email, role: params.role ?? 'member', name: params.name, tier: params.tier, invitation_days: params.invitation_days });
    return this.core.request({ method: 'POST', path: apiPath('users'), json, options });
  }

  getUser(userId = 'me', options?: RequestOptions): Promise<User> {
    return this.core.request({ method: 'GET', path: apiPath('users', userId), cacheable: false, options });
  }

  /** The user whose key the client uses. */
  me(options?: RequestOptions): Promise<User> {
    return this.getUser('me', options);
  }

  /** Changes a user's role or name (admin role); a demotion lowers their keys. */
  updateUser(userId: string, params: { role?: UserRole; name?: string }, options?: RequestOptions): Promise<User> {
    return this.core.request({ method: 'PATCH', path: apiPath('users', userId), json: defined(params), options });
  }

  /** Removes a user (admin role), revoking every key of theirs. */
  removeUser(userId: string, options?: RequestOptions): Promise<RemovedUser> {
    return this.core.request({ method: 'DELETE', path: apiPath('users', userId), options });
  }

  reissueInvitation(userId: string, params: { invitation_days?: number } = {}, options?: RequestOptions): Promise<InvitedUser> {
    return this.core.request({ method: 'POST', path: apiPath('users', userId, 'invitation'), json: defined(params), options });
  }

  listKeys(userId = 'me', params: { include_revoked?: boolean } = {}, options?: RequestOptions): Promise<UserKeyList> {
    const query = params.include_revoked ? { include_revoked: 'true' } : {};
    return this.core.request({ method: 'GET', path: apiPath('users', userId, 'keys'), query, cacheable: false, options });
  }

  /** A key of the calling user (`key` is shown only now), acting with at most the user's role. */
  createKey(params: CreateUserKeyParams = {}, options?: RequestOptions): Promise<UserKey> {
    return this.core.request({ method: 'POST', path: apiPath('users', 'me', 'keys'), json: defined({ ...params }), options });
  }

  revokeKey(keyId: string, params: { userId?: string } = {}, options?: RequestOptions): Promise<UserKey> {
    return this.core.request({ method: 'DELETE', path: apiPath('users', params.userId ?? 'me', 'keys', keyId), options });
  }

  /** A new key (shown once) in place of one of the caller's own; the old one keeps working
   * for `overlap_seconds` (default a day). */
  rotateKey(keyId: string, params: { overlap_seconds?: number } = {}, options?: RequestOptions): Promise<RotatedUserKey> {
    return this.core.request({ method: 'POST', path: apiPath('users', 'me', 'keys', keyId, 'rotate'), json: defined(params), options });
  }

  async changePassword(currentPassword: string, newPassword: string, options?: RequestOptions): Promise<void> {
    await this.core.request({
      method: 'POST',
      path: apiPath('users', 'me', 'password'),
      json: { current_password: currentPassword, new_password: newPassword },
      options,
    });
  }

  acceptInvitation(token: string, password: string, params: { name?: string } = {}, options?: RequestOptions): Promise<AcceptedInvitation> {
    return this.core.request({ method: 'POST', path: apiPath('invitations', 'accept'), json: defined({ token, password, name: params.name }), options });
  }
}
