package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One tick a schedule fired, and the scan it made. */
public record ScheduleRun(@Required String tick, @Required String scanId, String firedAt) {}
