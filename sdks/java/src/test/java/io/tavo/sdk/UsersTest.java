package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.tavo.sdk.models.AcceptedInvitation;
import io.tavo.sdk.models.AuditActor;
import io.tavo.sdk.models.AuditEntry;
import io.tavo.sdk.models.InvitedUser;
import io.tavo.sdk.models.RemovedUser;
import io.tavo.sdk.models.RotatedUserKey;
import io.tavo.sdk.models.User;
import io.tavo.sdk.models.UserKey;
import io.tavo.sdk.models.Webhook;
import io.tavo.sdk.resources.Users;

/**
 * Users, roles and user-owned keys against the real server: an invitation accepted without a key,
 * what a viewer may not do, keys capped at the user's role, demotion and removal taking effect on
 * keys, the acting user in the audit log, another organisation's users not found.
 */
class UsersTest {
    private static final TestServer SERVER = TestServer.get();
    private static final String PASSWORD = "correct horse battery staple";
    private static final String PUBLIC_HOOK = "https://93.184.216.34/hook";

    private static TavoClient client(String key) {
        return SERVER.client(key).withMaxRetries(0).build();
    }

    private static TavoApiException forbidden(org.junit.jupiter.api.function.Executable call) {
        TavoApiException refused = assertThrows(TavoApiException.class, call);
        assertEquals(403, refused.statusCode());
        assertEquals("FORBIDDEN", refused.code());
        return refused;
    }

    @Test
    void inviteAcceptAndWhatEachRoleMayDo() {
        String org = TestServer.newOrg();
        TavoClient admin = client(SERVER.orgAdminKey(org));
        InvitedUser invited = admin.users().inviteUser("Vic@Example.com", "viewer", "Vic", null, null);
        assertEquals("vic@example.com", invited.email());
        assertEquals("invited", invited.status());
        assertNotNull(invited.invitation());
        InvitedUser memberInvite = admin.users().inviteUser("mo@example.com");
        assertEquals("member", memberInvite.role());
        assertThrows(TavoValidationException.class, () -> admin.users().inviteUser("not an address"));
        TavoApiException taken = assertThrows(TavoApiException.class, () -> admin.users().inviteUser("vic@example.com"));
        assertEquals(409, taken.statusCode());
        assertEquals("USER_EXISTS", taken.code());
        assertEquals(2, admin.users().listUsers().total());

        AcceptedInvitation viewer = TavoSdk.acceptInvitation(invited.invitation().token(), PASSWORD, null, SERVER.baseUrl);
        assertEquals("active", viewer.user().status());
        assertEquals("viewer", viewer.key().role());
        assertNotNull(viewer.key().key());
        TavoApiException spent = assertThrows(TavoApiException.class,
                () -> TavoSdk.acceptInvitation(invited.invitation().token(), PASSWORD, null, SERVER.baseUrl));
        assertEquals("INVITATION_INVALID", spent.code());
        AcceptedInvitation member = TavoSdk.acceptInvitationAsync(memberInvite.invitation().token(), PASSWORD, "Mo",
                SERVER.baseUrl).join();
        assertEquals("Mo", member.user().name());

        TavoClient asViewer = client(viewer.key().key());
        assertEquals("viewer", asViewer.users().me().role());
        assertEquals(0, asViewer.scanManagement().listScans().total());
        TavoApiException refused = forbidden(() -> asViewer.webhooks().createWebhook(PUBLIC_HOOK, List.of("scan.failed")));
        assertEquals("member", refused.details().get("required_role"));
        forbidden(() -> asViewer.users().inviteUser("x@example.com"));
        asViewer.users().changePassword(PASSWORD, PASSWORD + " again");
        TavoApiException wrong = assertThrows(TavoApiException.class,
                () -> asViewer.users().changePassword(PASSWORD, PASSWORD + " once more"));
        assertEquals("INVALID_CREDENTIALS", wrong.code());

        TavoClient asMember = client(member.key().key());
        Webhook hook = asMember.webhooks().createWebhook(PUBLIC_HOOK, List.of("scan.failed"));
        forbidden(() -> asMember.users().updateUser(member.user().id(), "admin", null));
        forbidden(() -> asMember.auditLog().listAuditLog());

        AuditEntry entry = admin.auditLog().listAuditLog("webhook.", null, null, null).items().get(0);
        assertEquals(hook.id(), entry.targetId());
        assertEquals(new AuditActor(member.user().id(), "mo@example.com"), entry.actorUser());
        List<String> done = admin.auditLog().listAuditLog(null, null, null, null, member.user().id()).items().stream()
                .map(AuditEntry::action).toList();
        assertEquals(List.of("webhook.created", "user.activated"), done);
    }

    @Test
    void userKeysDemotionAndRemoval() {
        TavoClient admin = client(SERVER.orgAdminKey(TestServer.newOrg()));
        InvitedUser invited = admin.users().inviteUserAsync("kai@example.com", "member", null, null, null).join();
        AcceptedInvitation kai = admin.users().acceptInvitation(invited.invitation().token(), PASSWORD);
        TavoClient own = client(kai.key().key());
        UserKey made = own.users().createKeyAsync("ci", "member", "read-only", null).join();
        assertNotNull(made.key());
        assertEquals("read-only", made.scope());
        Set<String> listed = own.users().listKeys().items().stream().map(UserKey::id).collect(Collectors.toSet());
        assertEquals(Set.of(kai.key().id(), made.id()), listed);
        own.users().listKeys().items().forEach(key -> assertNull(key.key()));
        RotatedUserKey rotated = own.users().rotateKey(made.id(), 0);
        assertNotNull(rotated.key());
        assertEquals(made.id(), rotated.replaces().id());
        assertEquals(List.of("member", "read-only"), List.of(rotated.role(), rotated.scope()));
        assertThrows(TavoAuthException.class, () -> client(made.key()).users().me()); // no overlap: expired at once
        assertEquals("member", client(rotated.key()).users().me().role());

        User demoted = admin.users().updateUser(kai.user().id(), "viewer", null);
        assertEquals("viewer", demoted.role());
        assertEquals(403, assertThrows(TavoApiException.class, () -> own.users().createKey(null, "member", null, null))
                .statusCode());
        assertEquals(Set.of("viewer"), own.users().listKeys().items().stream().map(UserKey::role).collect(Collectors.toSet()));

        UserKey revoked = own.users().revokeKey(rotated.id());
        assertNotNull(revoked.revokedAt());
        // Listed until revoked: the first key and the rotated-away one (expired, not revoked).
        assertEquals(Set.of(kai.key().id(), made.id()),
                own.users().listKeys().items().stream().map(UserKey::id).collect(Collectors.toSet()));
        assertEquals(3, own.users().listKeys(Users.ME, true).total());

        RemovedUser removed = admin.users().removeUser(kai.user().id());
        assertEquals(2, removed.keysRevoked());
        assertThrows(TavoAuthException.class, () -> own.users().me());
        assertThrows(TavoNotFoundException.class, () -> admin.users().getUser(kai.user().id()));
    }

    @Test
    void otherOrganisationsUsersAreNotFound() {
        TavoClient acme = client(SERVER.orgAdminKey(TestServer.newOrg()));
        InvitedUser user = acme.users().inviteUser("ann@example.com");
        InvitedUser again = acme.users().reissueInvitation(user.id(), 2);
        assertNotEquals(user.invitation().token(), again.invitation().token());
        assertTrue(acme.users().listUsers("member", 0, 10).items().stream().anyMatch(u -> u.id().equals(user.id())));
        TavoClient globex = client(SERVER.orgAdminKey(TestServer.newOrg()));
        assertThrows(TavoNotFoundException.class, () -> globex.users().getUser(user.id()));
        assertThrows(TavoNotFoundException.class, () -> globex.users().removeUser(user.id()));
        assertThrows(TavoNotFoundException.class, () -> globex.users().reissueInvitation(user.id()));
        assertThrows(TavoNotFoundException.class, () -> globex.users().listKeys(user.id()));
    }
}
