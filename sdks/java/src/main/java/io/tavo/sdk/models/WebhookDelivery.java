package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One event sent (or to send) to one webhook: pending (with nextAttemptAt when it is a retry), delivering, succeeded, failed (attempts ran out). */
public record WebhookDelivery(@Required String id, @Required String webhookId, @Required String eventId, @Required String eventType,
        @Required String status, int attempts, String nextAttemptAt, Integer lastStatusCode, String lastError,
        Integer lastDurationMs, String redeliveryOf, String createdAt, String deliveredAt) {}
