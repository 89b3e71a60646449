package io.tavo.sdk.resources;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.Defaults;
import io.tavo.sdk.Pager;
import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.Repository;
import io.tavo.sdk.models.RepositoryList;

/** {@code client.repositories()}: register, list, and get by id or by URL (with last scan and trend). */
public final class Repositories extends Resource {
    public Repositories(ApiClient api) {
        super(api);
    }

    /** One page of the organisation's repositories with their last scan and trend. */
    public RepositoryList listRepositories() { return await(() -> listRepositoriesAsync(Map.of())); }
    public RepositoryList listRepositories(ListRepositoriesParams params) { return await(() -> listRepositoriesAsync(params)); }
    public RepositoryList listRepositories(Map<String, ?> params) { return await(() -> listRepositoriesAsync(params)); }

    public CompletableFuture<RepositoryList> listRepositoriesAsync() { return listRepositoriesAsync(Map.of()); }

    public CompletableFuture<RepositoryList> listRepositoriesAsync(ListRepositoriesParams params) {
        return listRepositoriesAsync(map(params));
    }

    public CompletableFuture<RepositoryList> listRepositoriesAsync(Map<String, ?> params) {
        return api.request(ApiRequest.get(ApiRequest.path("repositories")).withQuery(copy(params)), RepositoryList.class);
    }

    /** Every repository, fetched a page at a time as iteration goes. */
    public Pager<RepositoryList, Repository> iterRepositories() { return iterRepositories(Defaults.PAGE_SIZE); }

    public Pager<RepositoryList, Repository> iterRepositories(int pageSize) {
        return new Pager<>((offset, limit) -> listRepositoriesAsync(new ListRepositoriesParams().offset(offset).limit(limit)),
                pageSize, 0, Repository::id);
    }

    /** A repository by id ({@code repo_...}) or by URL (trailing slash and {@code .git} ignored). */
    public Repository getRepository(String repository) { return await(() -> getRepositoryAsync(repository, null)); }
    public Repository getRepository(String repository, Integer trendSize) { return await(() -> getRepositoryAsync(repository, trendSize)); }

    public CompletableFuture<Repository> getRepositoryAsync(String repository) { return getRepositoryAsync(repository, null); }

    public CompletableFuture<Repository> getRepositoryAsync(String repository, Integer trendSize) {
        Map<String, Object> query = new LinkedHashMap<>();
        if (trendSize != null) {
            query.put("trend_size", trendSize);
        }
        ApiRequest request;
        if (repository != null && repository.startsWith("repo_") && !repository.contains("/") && !repository.contains(":")) {
            request = ApiRequest.get(ApiRequest.path("repositories", repository));
        } else {
            // A URL: looked up by query parameter, which keeps every character of it intact.
            Map<String, Object> lookup = new LinkedHashMap<>();
            lookup.put("url", required("repository", repository));
            lookup.putAll(query);
            query = lookup;
            request = ApiRequest.get(ApiRequest.path("repositories", "lookup"));
        }
        return api.request(request.withQuery(query), Repository.class);
    }

    /** Changes what is given (by id or URL); a hook secret verifies inbound GitHub hooks. */
    public Repository updateRepository(String repository, RepositoryChanges changes) {
        return await(() -> updateRepositoryAsync(repository, changes));
    }

    public CompletableFuture<Repository> updateRepositoryAsync(String repository, RepositoryChanges changes) {
        ApiRequest request = new ApiRequest("PATCH", ApiRequest.path("repositories", required("repository", repository)),
                Map.of(), new LinkedHashMap<>(map(changes)), null, null, null, null, false, null);
        return api.request(request, Repository.class);
    }

    /** Deletes the repository with its scans, findings and schedules. */
    public void deleteRepository(String repository) { await(() -> deleteRepositoryAsync(repository)); }

    public CompletableFuture<Void> deleteRepositoryAsync(String repository) {
        return api.request(ApiRequest.delete(ApiRequest.path("repositories", required("repository", repository))), Void.class);
    }

    /** Registers a repository (returns the existing one for a known URL). */
    public Repository createRepository(String url) { return await(() -> createRepositoryAsync(new CreateRepositoryParams().url(url))); }
    public Repository createRepository(CreateRepositoryParams params) { return await(() -> createRepositoryAsync(params)); }
    public Repository createRepository(Map<String, ?> params) { return await(() -> createRepositoryAsync(params)); }

    public CompletableFuture<Repository> createRepositoryAsync(String url) {
        return createRepositoryAsync(new CreateRepositoryParams().url(url));
    }

    public CompletableFuture<Repository> createRepositoryAsync(CreateRepositoryParams params) {
        return createRepositoryAsync(map(params));
    }

    public CompletableFuture<Repository> createRepositoryAsync(Map<String, ?> params) {
        if (params == null || params.get("url") == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("createRepository needs a url"));
        }
        return api.request(ApiRequest.post(ApiRequest.path("repositories"), copy(params)), Repository.class);
    }
}
