package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** The body of a delivery, as WebhookVerifier.verify returns it. */
public record WebhookEvent(@Required String id, @Required String type, String createdAt, Map<String, Object> data) {}
