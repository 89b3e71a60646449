package io.tavo.sdk.resources;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.Webhook;
import io.tavo.sdk.models.WebhookDelivery;
import io.tavo.sdk.models.WebhookDeliveryList;
import io.tavo.sdk.models.WebhookList;

/**
 * {@code client.webhooks()}: outbound webhooks: create (the secret is in the answer, once), list,
 * get, update, rotate the secret, delete; deliveries and redelivery. To check deliveries you receive,
 * see {@link io.tavo.sdk.WebhookVerifier}.
 */
public final class Webhooks extends Resource {
    public Webhooks(ApiClient api) {
        super(api);
    }

    private static Map<String, Object> paging(Integer offset, Integer limit) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("offset", offset);
        query.put("limit", limit);
        return query;
    }

    /** A webhook for these event types; keep the answer's secret (shown only now). */
    public Webhook createWebhook(String url, List<String> events) { return await(() -> createWebhookAsync(url, events, null)); }
    public Webhook createWebhook(String url, List<String> events, String description) {
        return await(() -> createWebhookAsync(url, events, description));
    }

    public CompletableFuture<Webhook> createWebhookAsync(String url, List<String> events) { return createWebhookAsync(url, events, null); }

    public CompletableFuture<Webhook> createWebhookAsync(String url, List<String> events, String description) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("url", required("url", url));
        body.put("events", List.copyOf(events == null ? List.of() : events));
        if (description != null) {
            body.put("description", description);
        }
        return api.request(ApiRequest.post(ApiRequest.path("webhooks"), body), Webhook.class);
    }

    public WebhookList listWebhooks() { return await(() -> listWebhooksAsync(null, null)); }
    public WebhookList listWebhooks(Integer offset, Integer limit) { return await(() -> listWebhooksAsync(offset, limit)); }

    public CompletableFuture<WebhookList> listWebhooksAsync() { return listWebhooksAsync(null, null); }

    public CompletableFuture<WebhookList> listWebhooksAsync(Integer offset, Integer limit) {
        return api.request(ApiRequest.get(ApiRequest.path("webhooks")).withQuery(paging(offset, limit)).uncached(), WebhookList.class);
    }

    public Webhook getWebhook(String webhookId) { return await(() -> getWebhookAsync(webhookId)); }

    public CompletableFuture<Webhook> getWebhookAsync(String webhookId) {
        return api.request(ApiRequest.get(ApiRequest.path("webhooks", webhookId)).uncached(), Webhook.class);
    }

    /** Changes what is given (null: unchanged); with rotateSecret the answer carries the new secret. */
    public Webhook updateWebhook(String webhookId, WebhookChanges changes) { return await(() -> updateWebhookAsync(webhookId, changes)); }

    public CompletableFuture<Webhook> updateWebhookAsync(String webhookId, WebhookChanges changes) {
        Map<String, Object> body = map(changes);
        ApiRequest request = new ApiRequest("PATCH", ApiRequest.path("webhooks", webhookId), Map.of(), body, null, null,
                null, null, false, null);
        return api.request(request, Webhook.class);
    }

    public void deleteWebhook(String webhookId) { await(() -> deleteWebhookAsync(webhookId)); }

    public CompletableFuture<Void> deleteWebhookAsync(String webhookId) {
        return api.request(ApiRequest.delete(ApiRequest.path("webhooks", webhookId)), Void.class);
    }

    /** The webhook's deliveries, newest first. */
    public WebhookDeliveryList listDeliveries(String webhookId) { return await(() -> listDeliveriesAsync(webhookId, null, null)); }
    public WebhookDeliveryList listDeliveries(String webhookId, Integer offset, Integer limit) {
        return await(() -> listDeliveriesAsync(webhookId, offset, limit));
    }

    public CompletableFuture<WebhookDeliveryList> listDeliveriesAsync(String webhookId) { return listDeliveriesAsync(webhookId, null, null); }

    public CompletableFuture<WebhookDeliveryList> listDeliveriesAsync(String webhookId, Integer offset, Integer limit) {
        return api.request(ApiRequest.get(ApiRequest.path("webhooks", webhookId, "deliveries")).withQuery(paging(offset, limit))
                .uncached(), WebhookDeliveryList.class);
    }

    /** Sends the delivery's event again (same event id, signed afresh). */
    public WebhookDelivery redeliver(String webhookId, String deliveryId) { return await(() -> redeliverAsync(webhookId, deliveryId)); }

    public CompletableFuture<WebhookDelivery> redeliverAsync(String webhookId, String deliveryId) {
        return api.request(ApiRequest.post(ApiRequest.path("webhooks", webhookId, "deliveries", deliveryId, "redeliver"), null),
                WebhookDelivery.class);
    }
}
