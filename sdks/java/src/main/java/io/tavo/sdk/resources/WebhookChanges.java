package io.tavo.sdk.resources;

import java.util.List;

/** What updateWebhook changes; anything not set stays as it is. */
public final class WebhookChanges extends Params<WebhookChanges> {
    public WebhookChanges url(String value) { return set("url", value); }
    public WebhookChanges events(String... values) { return setList("events", values); }
    public WebhookChanges events(List<String> values) { return set("events", values == null ? null : List.copyOf(values)); }
    public WebhookChanges description(String value) { return set("description", value); }
    public WebhookChanges active(Boolean value) { return set("active", value); }
    /** A new secret, returned in the answer (once). */
    public WebhookChanges rotateSecret(boolean value) { return set("rotate_secret", value ? Boolean.TRUE : null); }
}
