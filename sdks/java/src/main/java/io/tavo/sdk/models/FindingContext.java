package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** What the engine knows about the code around a finding. */
public record FindingContext(String function, String entrypoint, List<String> untrustedSources, boolean fromParameters,
        boolean constantInput, boolean deadCode, List<String> sanitizers) {}
