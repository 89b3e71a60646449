package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One step of a finding's history: detected, fixed, reopened or triaged. */
public record FindingEvent(@Required String kind, @Required String toStatus, String fromStatus, String actor, String comment, String scanId,
        String at) {}
