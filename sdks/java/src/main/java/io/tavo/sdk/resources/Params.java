package io.tavo.sdk.resources;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base of the parameter objects: fluent setters that fill the JSON/query map the API takes,
 * under its snake_case names. Unset parameters are left out. {@link #toMap()} is what is sent;
 * {@link #from(Map)} starts from a map (the seed's dict style), setters then override it.
 */
public abstract class Params<S extends Params<S>> {
    private final Map<String, Object> values = new LinkedHashMap<>();

    @SuppressWarnings("unchecked")
    protected S set(String name, Object value) {
        if (value == null) {
            values.remove(name);
        } else {
            values.put(name, value);
        }
        return (S) this;
    }

    /** Sends the parameter as JSON null (clears the value on the server). */
    @SuppressWarnings("unchecked")
    protected S setNull(String name) {
        values.put(name, null);
        return (S) this;
    }

    protected S setList(String name, String... items) {
        return set(name, items == null ? null : List.of(items));
    }

    /** Copies every entry of {@code map} (snake_case names, as the API's JSON). */
    public S from(Map<String, ?> map) {
        if (map != null) {
            map.forEach(this::set);
        }
        @SuppressWarnings("unchecked")
        S self = (S) this;
        return self;
    }

    /** The parameters as sent: snake_case names, unset ones left out. */
    public Map<String, Object> toMap() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    Object get(String name) {
        return values.get(name);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + values;
    }
}
