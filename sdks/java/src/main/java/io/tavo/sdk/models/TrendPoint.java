package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** Finding counts of one completed scan, oldest first in a repository's trend. */
public record TrendPoint(@Required String scanId, String createdAt, String finishedAt, long total, Map<String, Integer> bySeverity) {}
