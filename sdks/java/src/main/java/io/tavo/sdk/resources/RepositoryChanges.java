package io.tavo.sdk.resources;

/** What updateRepository changes; anything not set stays as it is, a cleared field is removed. */
public final class RepositoryChanges extends Params<RepositoryChanges> {
    public RepositoryChanges name(String value) { return set("name", value); }
    public RepositoryChanges defaultBranch(String value) { return set("default_branch", value); }
    public RepositoryChanges clearDefaultBranch() { return setNull("default_branch"); }
    /** The secret that verifies inbound GitHub hooks; never shown again (the repository's hooksEnabled). */
    public RepositoryChanges hookSecret(String value) { return set("hook_secret", value); }
    public RepositoryChanges clearHookSecret() { return setNull("hook_secret"); }
    /**
     * Credentials to fetch a private repository, never shown again: {@code {"kind": "https_token",
     * "token", "username"}} or {@code {"kind": "ssh_key", "private_key"}}.
     */
    public RepositoryChanges credentials(java.util.Map<String, String> value) {
        return set("credentials", value == null ? null : java.util.Map.copyOf(value));
    }
    public RepositoryChanges clearCredentials() { return setNull("credentials"); }
}
