package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One page of schedules. */
public record ScheduleList(long total, int offset, int limit, int page, int pageSize, boolean hasMore, List<Schedule> items) implements Page<Schedule> {}
