package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** An analysis model the server offers. */
public record AiModel(@Required String id, String kind, String provider, String name, String description, List<String> capabilities,
        boolean local, Map<String, Object> limits) {}
