package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One page of a scan's findings; {@code triaged}: the triage of findings that have one, by fingerprint. */
public record ScanResults(long total, int offset, int limit, int page, int pageSize, boolean hasMore, @Required String scanId,
        @Required String scanStatus, List<Vulnerability> vulnerabilities, Map<String, Map<String, Object>> triaged) implements Page<Vulnerability> {
    /** The findings of this page (the same as {@link #vulnerabilities()}). */
    @Override
    public List<Vulnerability> items() {
        return vulnerabilities;
    }
}
