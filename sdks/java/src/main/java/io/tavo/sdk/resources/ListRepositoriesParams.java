package io.tavo.sdk.resources;

import java.util.List;

/** Paging of listRepositories, and how many scans each trend shows. */
public final class ListRepositoriesParams extends Params<ListRepositoriesParams> {
    public ListRepositoriesParams page(Integer value) { return set("page", value); }
    public ListRepositoriesParams pageSize(Integer value) { return set("page_size", value); }
    public ListRepositoriesParams offset(Integer value) { return set("offset", value); }
    public ListRepositoriesParams limit(Integer value) { return set("limit", value); }
    public ListRepositoriesParams trendSize(Integer value) { return set("trend_size", value); }
}
