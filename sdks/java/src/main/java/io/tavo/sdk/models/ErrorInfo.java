package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** An error about one item of a bulk request (the same fields as the error envelope). */
public record ErrorInfo(@Required String code, @Required String message, Map<String, Object> details) {}
