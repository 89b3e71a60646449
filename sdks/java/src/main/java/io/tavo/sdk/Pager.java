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
    /** How pages follow each other: fetch the page at a position; the position after it, or null. */
    private interface Walk<P> {
        CompletableFuture<P> fetch(Object position);

        Object next(Object position, P page);
    }

    private final Walk<P> walk;
    private final Object start;
    private final int pageSize;
    private final Function<I, Object> key;

    /** {@code fetch(offset, limit)} gets one page; {@code key} identifies an item (null: no dedup). */
    public Pager(BiFunction<Integer, Integer, CompletableFuture<P>> fetch, int pageSize, int offset,
                 Function<I, Object> key) {
        this(new Walk<>() {
            @Override
            public CompletableFuture<P> fetch(Object position) {
                return fetch.apply((Integer) position, pageSize);
            }

            @Override
            public Object next(Object position, P page) {
                int count = page.items().size();
                return count == 0 || !page.hasMore() ? null : (Integer) position + count;
            }
        }, offset, pageSize, key);
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative (got " + offset + ")");
        }
    }

    private Pager(Walk<P> walk, Object start, int pageSize, Function<I, Object> key) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("pageSize must be at least 1 (got " + pageSize + ")");
        }
        this.walk = walk;
        this.start = start;
        this.pageSize = pageSize;
        this.key = key;
    }

    /**
     * Keyset pagination: {@code fetch(cursor)} gets the page after {@code cursor} ("" for the
     * first); {@code nextCursor(page)} is where the next one starts, or null after the last.
     * Stable however deep it goes: items created meanwhile do not shift the pages.
     */
    public static <P extends Page<I>, I> Pager<P, I> byCursor(Function<String, CompletableFuture<P>> fetch,
                                                               Function<P, String> nextCursor, int pageSize) {
        return new Pager<>(new Walk<>() {
            @Override
            public CompletableFuture<P> fetch(Object position) {
                return fetch.apply((String) position);
            }

            @Override
            public Object next(Object position, P page) {
                return page.hasMore() ? nextCursor.apply(page) : null;
            }
        }, "", pageSize, null);
    }

    public int pageSize() { return pageSize; }

    // --- by page -------------------------------------------------------------------------------

    /** Each page in turn (fetched as the iteration reaches it). */
    public Iterable<P> pages() {
        return () -> new Iterator<>() {
            private Object position = start;

            @Override
            public boolean hasNext() { return position != null; }

            @Override
            public P next() {
                if (position == null) {
                    throw new NoSuchElementException();
                }
                P page = ApiClient.call(() -> walk.fetch(position));
                position = walk.next(position, page);
                return page;
            }
        };
    }

    public Stream<P> pageStream() {
        return StreamSupport.stream(pages().spliterator(), false);
    }

    /** Calls {@code action} with each page, fetching the next once it returns. */
    public CompletableFuture<Void> forEachPageAsync(Consumer<? super P> action) {
        return pageFrom(start, action);
    }

    private CompletableFuture<Void> pageFrom(Object position, Consumer<? super P> action) {
        return walk.fetch(position).thenCompose(page -> {
            action.accept(page);
            Object next = walk.next(position, page);
            return next == null ? CompletableFuture.completedFuture(null) : pageFrom(next, action);
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
