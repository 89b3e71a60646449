package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A webhook. {@code secret} is set only in the answer that made it (creation, rotation). */
public record Webhook(@Required String id, @Required String url, List<String> events, String description, Boolean active,
        String createdAt, String updatedAt, String secret) {}
