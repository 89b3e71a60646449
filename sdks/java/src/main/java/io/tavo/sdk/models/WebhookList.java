package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One page of webhooks. */
public record WebhookList(long total, int offset, int limit, int page, int pageSize, boolean hasMore, List<Webhook> items) implements Page<Webhook> {}
