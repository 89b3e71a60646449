package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** Scans of a repository on a cron timetable read in {@code timezone}; recentRuns is given by getSchedule (newest first). */
public record Schedule(@Required String id, @Required String repositoryId, @Required String cron, String timezone, String scanType,
        String ref, String nextRunAt, String lastRunAt, String lastScanId, String createdAt, List<ScheduleRun> recentRuns) {}
