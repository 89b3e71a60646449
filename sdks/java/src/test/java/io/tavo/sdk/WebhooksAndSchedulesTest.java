package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import io.tavo.sdk.models.Schedule;
import io.tavo.sdk.models.Scan;
import io.tavo.sdk.models.Webhook;
import io.tavo.sdk.models.WebhookDelivery;
import io.tavo.sdk.models.WebhookEvent;
import io.tavo.sdk.resources.WebhookChanges;

/** Webhooks delivered by the real server to a receiver on loopback, checked with WebhookVerifier; schedules. */
class WebhooksAndSchedulesTest {
    private static final TestServer SERVER = TestServer.get();

    private record Received(Map<String, String> headers, byte[] body) {}

    @Test
    void signedDeliveriesAreVerifiedListedAndRedelivered() throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        receiver.createContext("/hooks", exchange -> {
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, values.get(0)));
            try (InputStream in = exchange.getRequestBody()) {
                received.add(new Received(headers, in.readAllBytes()));
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        try {
            TavoClient client = SERVER.client(SERVER.unlimitedKey()).build();
            Webhook hook = client.webhooks().createWebhook("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hooks",
                    List.of("scan.completed"), "java sdk test");
            assertNotNull(hook.secret(), "the secret is shown once, on creation");
            assertEquals(null, client.webhooks().getWebhook(hook.id()).secret());
            assertEquals(1, client.webhooks().listWebhooks().total());

            Scan scan = client.scanManagement().createScan(SERVER.repositoryUrl());
            client.scanManagement().waitForScan(scan.id(), Duration.ofMinutes(3));
            Received delivery = awaitDelivery(received, 1);
            WebhookEvent event = WebhookVerifier.verify(delivery.body(), delivery.headers(), hook.secret());
            assertEquals("scan.completed", event.type());
            assertEquals(scan.id(), ((Map<?, ?>) event.data().get("scan")).get("id"));
            assertThrows(WebhookVerificationException.class,
                    () -> WebhookVerifier.verify(delivery.body(), delivery.headers(), "not-the-secret"));
            assertThrows(WebhookVerificationException.class, () -> WebhookVerifier.verify(delivery.body(),
                    delivery.headers(), hook.secret(), 300, System.currentTimeMillis() / 1000.0 + 3600));

            List<WebhookDelivery> deliveries = awaitSucceeded(client, hook.id());
            WebhookDelivery again = client.webhooks().redeliver(hook.id(), deliveries.get(0).id());
            assertEquals(deliveries.get(0).eventId(), again.eventId());
            assertEquals(deliveries.get(0).id(), again.redeliveryOf());
            Received second = awaitDelivery(received, 2);
            assertEquals(event.id(), WebhookVerifier.verify(second.body(), second.headers(), hook.secret()).id());

            Webhook rotated = client.webhooks().updateWebhook(hook.id(), new WebhookChanges().rotateSecret(true).active(false));
            assertNotEquals(hook.secret(), rotated.secret());
            assertEquals(Boolean.FALSE, rotated.active());
            client.webhooks().deleteWebhookAsync(hook.id()).join();
            assertThrows(TavoNotFoundException.class, () -> client.webhooks().getWebhook(hook.id()));
            assertThrows(TavoValidationException.class,
                    () -> client.webhooks().createWebhook("http://127.0.0.1:9/x", List.of("no.such.event")));
        } finally {
            receiver.stop(0);
        }
    }

    private static Received awaitDelivery(List<Received> received, int count) {
        for (int i = 0; i < 300 && received.size() < count; i++) {
            TestServer.sleep(100);
        }
        assertTrue(received.size() >= count, "deliveries received: " + received.size());
        return received.get(count - 1);
    }

    private static List<WebhookDelivery> awaitSucceeded(TavoClient client, String hookId) {
        for (int i = 0; i < 100; i++) {
            List<WebhookDelivery> items = client.webhooks().listDeliveries(hookId).items();
            if (!items.isEmpty() && items.get(0).status().equals("succeeded")) {
                return items;
            }
            TestServer.sleep(100);
        }
        throw new AssertionError("no delivery succeeded: " + client.webhooks().listDeliveries(hookId));
    }

    @Test
    void usageAndTheAuditLog() {
        TavoClient client = SERVER.client(SERVER.unlimitedKey()).build();
        client.scanManagement().listScans();
        var usage = client.usage().getUsage(7, false);
        assertEquals(7, usage.days());
        assertFalse(usage.key().windows().isEmpty());
        assertThrows(TavoAuthException.class, () -> client.auditLog().listAuditLog());
        TavoClient admin = SERVER.client(SERVER.adminKey).build();
        var entries = admin.auditLog().listAuditLog("key.", null, 0, 10);
        assertTrue(entries.items().stream().allMatch(entry -> entry.action().startsWith("key.")), entries.toString());
    }

    @Test
    void schedulesAreCreatedListedReadAndDeleted() {
        TavoClient client = SERVER.client(SERVER.unlimitedKey()).build();
        client.repositories().createRepository(SERVER.repositoryUrl());
        Schedule schedule = client.schedules().createSchedule(SERVER.repositoryUrl(), "0 9 * * *", "Europe/Paris", "secrets", null);
        assertEquals("Europe/Paris", schedule.timezone());
        assertEquals("secrets", schedule.scanType());
        assertNotNull(schedule.nextRunAt());
        assertEquals(1, client.schedules().listSchedules().total());
        Schedule read = client.schedules().getScheduleAsync(schedule.id()).join();
        assertEquals(schedule.cron(), read.cron());
        assertTrue(read.recentRuns().isEmpty());
        client.schedules().deleteSchedule(schedule.id());
        var repository = client.repositories().updateRepository(SERVER.repositoryUrl(),
                new io.tavo.sdk.resources.RepositoryChanges().name("renamed").hookSecret("a-hook-secret-of-24-chars").clearDefaultBranch());
        assertEquals("renamed", repository.name());
        assertTrue(repository.hooksEnabled());
        assertEquals(null, repository.defaultBranch());
        client.repositories().deleteRepository(repository.id());
        assertThrows(TavoNotFoundException.class, () -> client.repositories().getRepository(repository.id()));
        assertFalse(client.schedules().listSchedules().total() > 0);
        assertThrows(TavoValidationException.class,
                () -> client.schedules().createSchedule(SERVER.repositoryUrl(), "not a cron"));
    }

}
