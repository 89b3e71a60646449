package io.tavo.sdk.resources;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.AcceptedInvitation;
import io.tavo.sdk.models.InvitedUser;
import io.tavo.sdk.models.RemovedUser;
import io.tavo.sdk.models.RotatedUserKey;
import io.tavo.sdk.models.User;
import io.tavo.sdk.models.UserKey;
import io.tavo.sdk.models.UserKeyList;
import io.tavo.sdk.models.UserList;

/**
 * {@code client.users()}: people of the organisation: invite, list, get, change role or name, remove
 * (revoking their keys), reissue an invitation; a user's own keys and password. A user id may be
 * {@code "me"}: the user whose key the client uses. Accepting an invitation needs no key: see
 * {@link io.tavo.sdk.TavoSdk#acceptInvitation}. Arguments given as null are left out.
 */
public final class Users extends Resource {
    /** The user whose key the client uses. */
    public static final String ME = "me";

    public Users(ApiClient api) {
        super(api);
    }

    private static Map<String, Object> given(Object... namesAndValues) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] != null) {
                values.put((String) namesAndValues[i], namesAndValues[i + 1]);
            }
        }
        return values;
    }

    public UserList listUsers() { return await(() -> listUsersAsync(null, null, null)); }
    public UserList listUsers(String role, Integer offset, Integer limit) { return await(() -> listUsersAsync(role, offset, limit)); }

    public CompletableFuture<UserList> listUsersAsync() { return listUsersAsync(null, null, null); }

    public CompletableFuture<UserList> listUsersAsync(String role, Integer offset, Integer limit) {
        return api.request(ApiRequest.get(ApiRequest.path("users")).withQuery(given("role", role, "offset", offset, "limit", limit))
                .uncached(), UserList.class);
    }

    /** Invites a person as a member (admin role); hand them {@code invitation().token()} (shown only now). */
    public InvitedUser inviteUser(String email) { return await(() -> inviteUserAsync(email, "member", null, null, null)); }
    public InvitedUser inviteUser(String email, String role, String name, String tier, Integer invitationDays) {
        return await(() -> inviteUserAsync(email, role, name, tier, invitationDays));
    }

    public CompletableFuture<InvitedUser> inviteUserAsync(String email) { return inviteUserAsync(email, "member", null, null, null); }

    public CompletableFuture<InvitedUser> inviteUserAsync(String email, String role, String name, String tier,
                                                          Integer invitationDays) {
        Map<String, Object> body = given("email", required("email", email), "role", role == null ? "member" : role,
                "name", name, "tier", tier, "invitation_days", invitationDays);
        return api.request(ApiRequest.post(ApiRequest.path("users"), body), InvitedUser.class);
    }

    public User getUser() { return await(() -> getUserAsync(ME)); }
    public User getUser(String userId) { return await(() -> getUserAsync(userId)); }

    public CompletableFuture<User> getUserAsync() { return getUserAsync(ME); }

    public CompletableFuture<User> getUserAsync(String userId) {
        return api.request(ApiRequest.get(ApiRequest.path("users", userId)).uncached(), User.class);
    }

    /** The user whose key the client uses. */
    public User me() { return await(() -> meAsync()); }

    public CompletableFuture<User> meAsync() { return getUserAsync(ME); }

    /** Changes a user's role or name (admin role; null: unchanged); a demotion lowers their keys. */
    public User updateUser(String userId, String role, String name) { return await(() -> updateUserAsync(userId, role, name)); }

    public CompletableFuture<User> updateUserAsync(String userId, String role, String name) {
        ApiRequest request = new ApiRequest("PATCH", ApiRequest.path("users", userId), Map.of(), given("role", role, "name", name),
                null, null, null, null, false, null);
        return api.request(request, User.class);
    }

    /** Removes a user (admin role), revoking every key of theirs. */
    public RemovedUser removeUser(String userId) { return await(() -> removeUserAsync(userId)); }

    public CompletableFuture<RemovedUser> removeUserAsync(String userId) {
        return api.request(ApiRequest.delete(ApiRequest.path("users", userId)), RemovedUser.class);
    }

    /** A new invitation (the old token no longer works). */
    public InvitedUser reissueInvitation(String userId) { return await(() -> reissueInvitationAsync(userId, null)); }
    public InvitedUser reissueInvitation(String userId, Integer invitationDays) {
        return await(() -> reissueInvitationAsync(userId, invitationDays));
    }

    public CompletableFuture<InvitedUser> reissueInvitationAsync(String userId) { return reissueInvitationAsync(userId, null); }

    public CompletableFuture<InvitedUser> reissueInvitationAsync(String userId, Integer invitationDays) {
        return api.request(ApiRequest.post(ApiRequest.path("users", userId, "invitation"), given("invitation_days", invitationDays)),
                InvitedUser.class);
    }

    /** A user's keys (without the key itself); revoked ones only when asked. */
    public UserKeyList listKeys() { return await(() -> listKeysAsync(ME, false)); }
    public UserKeyList listKeys(String userId) { return await(() -> listKeysAsync(userId, false)); }
    public UserKeyList listKeys(String userId, boolean includeRevoked) { return await(() -> listKeysAsync(userId, includeRevoked)); }

    public CompletableFuture<UserKeyList> listKeysAsync() { return listKeysAsync(ME, false); }
    public CompletableFuture<UserKeyList> listKeysAsync(String userId) { return listKeysAsync(userId, false); }

    public CompletableFuture<UserKeyList> listKeysAsync(String userId, boolean includeRevoked) {
        Map<String, Object> query = includeRevoked ? Map.of("include_revoked", "true") : Map.of();
        return api.request(ApiRequest.get(ApiRequest.path("users", userId, "keys")).withQuery(query).uncached(), UserKeyList.class);
    }

    /**
     * A key of the calling user ({@code key()} is shown only now), acting with at most the user's
     * role (default: the user's, or the calling key's when lower); scope full, read-only or scans-only.
     */
    public UserKey createKey() { return await(() -> createKeyAsync(null, null, null, null)); }
    public UserKey createKey(String name, String role, String scope, Integer expiresInDays) {
        return await(() -> createKeyAsync(name, role, scope, expiresInDays));
    }

    public CompletableFuture<UserKey> createKeyAsync() { return createKeyAsync(null, null, null, null); }

    public CompletableFuture<UserKey> createKeyAsync(String name, String role, String scope, Integer expiresInDays) {
        Map<String, Object> body = given("name", name, "role", role, "scope", scope, "expires_in_days", expiresInDays);
        return api.request(ApiRequest.post(ApiRequest.path("users", ME, "keys"), body), UserKey.class);
    }

    /** Revokes one of the calling user's keys (or, for an admin, another user's). */
    public UserKey revokeKey(String keyId) { return await(() -> revokeKeyAsync(keyId, ME)); }
    public UserKey revokeKey(String keyId, String userId) { return await(() -> revokeKeyAsync(keyId, userId)); }

    public CompletableFuture<UserKey> revokeKeyAsync(String keyId) { return revokeKeyAsync(keyId, ME); }

    public CompletableFuture<UserKey> revokeKeyAsync(String keyId, String userId) {
        return api.request(ApiRequest.delete(ApiRequest.path("users", userId, "keys", keyId)), UserKey.class);
    }

    /**
     * A new key (shown once) in place of one of the caller's own; the old one keeps working for
     * {@code overlapSeconds} (null: the server's default, a day).
     */
    public RotatedUserKey rotateKey(String keyId) { return await(() -> rotateKeyAsync(keyId, null)); }
    public RotatedUserKey rotateKey(String keyId, Integer overlapSeconds) { return await(() -> rotateKeyAsync(keyId, overlapSeconds)); }

    public CompletableFuture<RotatedUserKey> rotateKeyAsync(String keyId) { return rotateKeyAsync(keyId, null); }

    public CompletableFuture<RotatedUserKey> rotateKeyAsync(String keyId, Integer overlapSeconds) {
        return api.request(ApiRequest.post(ApiRequest.path("users", ME, "keys", keyId, "rotate"),
                given("overlap_seconds", overlapSeconds)), RotatedUserKey.class);
    }

    /** Changes the calling user's password. */
    public void changePassword(String currentPassword, String newPassword) {
        await(() -> changePasswordAsync(currentPassword, newPassword));
    }

    public CompletableFuture<Void> changePasswordAsync(String currentPassword, String newPassword) {
        Map<String, Object> body = Map.of("current_password", required("currentPassword", currentPassword),
                "new_password", required("newPassword", newPassword));
        return api.request(ApiRequest.post(ApiRequest.path("users", ME, "password"), body), Void.class);
    }

    /** Sets the invited user's password; the answer holds the user and their first key (shown once). */
    public AcceptedInvitation acceptInvitation(String token, String password) {
        return await(() -> acceptInvitationAsync(token, password, null));
    }
    public AcceptedInvitation acceptInvitation(String token, String password, String name) {
        return await(() -> acceptInvitationAsync(token, password, name));
    }

    public CompletableFuture<AcceptedInvitation> acceptInvitationAsync(String token, String password) {
        return acceptInvitationAsync(token, password, null);
    }

    public CompletableFuture<AcceptedInvitation> acceptInvitationAsync(String token, String password, String name) {
        Map<String, Object> body = given("token", required("token", token), "password", required("password", password),
                "name", name);
        return api.request(ApiRequest.post(ApiRequest.path("invitations", "accept"), body), AcceptedInvitation.class);
    }
}
