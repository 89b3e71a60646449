package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** The verdict on an uploaded model file (inspected, never loaded); confidence is a number or a word. */
public record ModelFileVerdict(boolean safe, List<Map<String, Object>> risks, List<String> recommendations, Object confidence,
        Map<String, Object> analysis) {}
