package io.tavo.sdk.resources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.internal.ApiClient;

/** What every resource shares: its client, and blocking on an async call. */
abstract class Resource {
    final ApiClient api;

    Resource(ApiClient api) {
        this.api = api;
    }

    static <T> T await(java.util.function.Supplier<CompletableFuture<T>> call) {
        return ApiClient.call(call);
    }

    static Map<String, Object> map(Params<?> params) {
        return params == null ? Map.of() : params.toMap();
    }

    static Map<String, Object> copy(Map<String, ?> values) {
        return values == null ? Map.of() : new LinkedHashMap<>(values);
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException error) {
            throw new UncheckedIOException("cannot read " + file, error);
        }
    }

    static String required(String name, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be null or empty");
        }
        return value;
    }
}
