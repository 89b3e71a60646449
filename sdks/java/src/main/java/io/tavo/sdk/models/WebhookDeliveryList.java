package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One page of a webhook's deliveries, newest first. */
public record WebhookDeliveryList(long total, int offset, int limit, int page, int pageSize, boolean hasMore, List<WebhookDelivery> items) implements Page<WebhookDelivery> {}
