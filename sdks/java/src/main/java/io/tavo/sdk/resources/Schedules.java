package io.tavo.sdk.resources;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.Schedule;
import io.tavo.sdk.models.ScheduleList;

/** {@code client.schedules()}: scheduled scans: create, list, get (with recent runs), delete. */
public final class Schedules extends Resource {
    public Schedules(ApiClient api) {
        super(api);
    }

    /** Scans {@code repository} (id or URL) at each tick of {@code cron} read in UTC. */
    public Schedule createSchedule(String repository, String cron) { return await(() -> createScheduleAsync(repository, cron, "UTC", null, null)); }

    /** Scans {@code repository} at each tick of {@code cron} read in {@code timezone}; scanType and ref may be null. */
    public Schedule createSchedule(String repository, String cron, String timezone, String scanType, String ref) {
        return await(() -> createScheduleAsync(repository, cron, timezone, scanType, ref));
    }

    public CompletableFuture<Schedule> createScheduleAsync(String repository, String cron) {
        return createScheduleAsync(repository, cron, "UTC", null, null);
    }

    public CompletableFuture<Schedule> createScheduleAsync(String repository, String cron, String timezone, String scanType,
                                                          String ref) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("repository", required("repository", repository));
        body.put("cron", required("cron", cron));
        body.put("timezone", timezone == null ? "UTC" : timezone);
        if (scanType != null) {
            body.put("scan_type", scanType);
        }
        if (ref != null) {
            body.put("ref", ref);
        }
        return api.request(ApiRequest.post(ApiRequest.path("schedules"), body), Schedule.class);
    }

    public ScheduleList listSchedules() { return await(() -> listSchedulesAsync(null, null)); }
    public ScheduleList listSchedules(Integer offset, Integer limit) { return await(() -> listSchedulesAsync(offset, limit)); }

    public CompletableFuture<ScheduleList> listSchedulesAsync() { return listSchedulesAsync(null, null); }

    public CompletableFuture<ScheduleList> listSchedulesAsync(Integer offset, Integer limit) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("offset", offset);
        query.put("limit", limit);
        return api.request(ApiRequest.get(ApiRequest.path("schedules")).withQuery(query).uncached(), ScheduleList.class);
    }

    public Schedule getSchedule(String scheduleId) { return await(() -> getScheduleAsync(scheduleId)); }

    public CompletableFuture<Schedule> getScheduleAsync(String scheduleId) {
        return api.request(ApiRequest.get(ApiRequest.path("schedules", scheduleId)).uncached(), Schedule.class);
    }

    public void deleteSchedule(String scheduleId) { await(() -> deleteScheduleAsync(scheduleId)); }

    public CompletableFuture<Void> deleteScheduleAsync(String scheduleId) {
        return api.request(ApiRequest.delete(ApiRequest.path("schedules", scheduleId)), Void.class);
    }
}
