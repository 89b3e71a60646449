package io.tavo.sdk;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.models.Page;

/**
 * Lazy pagination over a list endpoint: one page is fetched when iteration reaches it; whether
 * another follows comes from the page's {@code hasMore}. Two styles, each blocking or async:
 * <ul>
 *   <li>by item: {@code for (Scan s : pager)}, {@link #stream()}, {@link #toList()},
 *       {@link #forEachAsync(Consumer)}, {@link #toListAsync()};</li>
 *   <li>by page: {@link #pages()}, {@link #pageStream()}, {@link #forEachPageAsync(Consumer)}.</li>
 * </ul>
 * Items are listed newest first, so one created during iteration shifts later pages by one:
 * iterating by item skips what was already seen (by its id). A Pager can be iterated many times;
 * each iteration fetches afresh.
 */
public final class Pager<P extends Page<I>, I> implements Iterable<I> {
    private final BiFunction<Integer, Integer, CompletableFuture<P>> fetch;
    private final int pageSize;
    private final int offset;
    private final Function<I, Object> key;

    /** {@code fetch(offset, limit)} gets one page; {@code key} identifies an item (null: no dedup). */
    public Pager(BiFunction<Integer, Integer, CompletableFuture<P>> fetch, int pageSize, int offset,
                 Function<I, Object> key) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("pageSize must be at least 1 (got " + pageSize + ")");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative (got " + offset + ")");
        }
        this.fetch = fetch;
        this.pageSize = pageSize;
        this.offset = offset;
        this.key = key;
    }

    public int pageSize() { return pageSize; }

    // --- by page -------------------------------------------------------------------------------

    /** Each page in turn (fetched as the iteration reaches it). */
    public Iterable<P> pages() {
        return () -> new Iterator<>() {
            private int nextOffset = offset;
            private boolean done;

            @Override
            public boolean hasNext() { return !done; }

            @Override
            public P next() {
                if (done) {
                    throw new NoSuchElementException();
                }
                P page = ApiClient.await(fetch.apply(nextOffset, pageSize));
                int count = page.items().size();
                if (count == 0 || !page.hasMore()) {
                    done = true;
                }
                nextOffset += count;
                return page;
            }
        };
    }

    public Stream<P> pageStream() {
        return StreamSupport.stream(pages().spliterator(), false);
    }

    /** Calls {@code action} with each page, fetching the next once it returns. */
    public CompletableFuture<Void> forEachPageAsync(Consumer<? super P> action) {
        return pageFrom(offset, action);
    }

    private CompletableFuture<Void> pageFrom(int at, Consumer<? super P> action) {
        return fetch.apply(at, pageSize).thenCompose(page -> {
            action.accept(page);
            int count = page.items().size();
            if (count == 0 || !page.hasMore()) {
                return CompletableFuture.completedFuture(null);
            }
            return pageFrom(at + count, action);
        });
    }

    // --- by item -------------------------------------------------------------------------------

    @Override
    public Iterator<I> iterator() {
        Iterator<P> pages = pages().iterator();
        Set<Object> seen = new HashSet<>();
        return new Iterator<>() {
            private Iterator<I> current = Collections.emptyIterator();
            private I pending;

            @Override
            public boolean hasNext() {
                while (pending == null) {
                    while (!current.hasNext()) {
                        if (!pages.hasNext()) {
                            return false;
                        }
                        current = pages.next().items().iterator();
                    }
                    I item = current.next();
                    if (key == null || seen.add(key.apply(item))) {
                        pending = item;
                    }
                }
                return true;
            }

            @Override
            public I next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                I item = pending;
                pending = null;
                return item;
            }
        };
    }

    public Stream<I> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED), false);
    }

    /** Every item (fetches every page). */
    public List<I> toList() {
        List<I> items = new ArrayList<>();
        forEach(items::add);
        return Collections.unmodifiableList(items);
    }

    /** Calls {@code action} with each item (without repeats), page by page. */
    public CompletableFuture<Void> forEachAsync(Consumer<? super I> action) {
        Set<Object> seen = Collections.synchronizedSet(new HashSet<>());
        return forEachPageAsync(page -> {
            for (I item : page.items()) {
                if (key == null || seen.add(key.apply(item))) {
                    action.accept(item);
                }
            }
        });
    }

    public CompletableFuture<List<I>> toListAsync() {
        List<I> items = Collections.synchronizedList(new ArrayList<>());
        return forEachAsync(items::add).thenApply(done -> Collections.unmodifiableList(new ArrayList<>(items)));
    }
}
