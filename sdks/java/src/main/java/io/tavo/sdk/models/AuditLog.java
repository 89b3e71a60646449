package io.tavo.sdk.models;

import java.util.List;

/** One page of the audit log, newest first. */
public record AuditLog(long total, int offset, int limit, int page, int pageSize, boolean hasMore, List<AuditEntry> items)
        implements Page<AuditEntry> {}
