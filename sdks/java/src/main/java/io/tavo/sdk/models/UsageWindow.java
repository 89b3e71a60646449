package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/** A rate-limit window as it stands. */
public record UsageWindow(@Required String name, long limit, long remaining, long reset, long windowSeconds) {}
