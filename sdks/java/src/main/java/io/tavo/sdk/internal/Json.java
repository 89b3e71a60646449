package io.tavo.sdk.internal;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * JSON in and out. Responses are parsed by Jackson into a tree, then turned into the immutable model
 * records by their canonical constructors: a record component {@code totalFindings} reads the JSON
 * field {@code total_findings}. Lists and maps come out unmodifiable (empty when absent); a missing
 * {@link Required} field, or a value of the wrong type, is a {@link ShapeException}.
 * (Jackson's own record support in the Debian version cannot combine records with snake_case names.)
 */
public final class Json {
    private Json() {}

    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** A body that is not the shape a model expects. */
    public static final class ShapeException extends RuntimeException {
        public ShapeException(String message) { super(message); }
    }

    private record Plan(MethodHandle constructor, String[] names, Type[] types, boolean[] required) {}

    /**
     * Where in the body a value is (for error messages), built into text only when an error names
     * it: a page of findings has thousands of fields, and their paths are almost never needed.
     */
    private record Where(Where parent, String field, int index) {
        static Where root(String name) { return new Where(null, name, -1); }

        Where field(String name) { return new Where(this, name, -1); }

        Where item(int position) { return new Where(this, null, position); }

        @Override
        public String toString() {
            String head = parent == null ? "" : parent.toString();
            if (parent == null) {
                return field;
            }
            return field != null ? head + "." + field : head + "[" + index + "]";
        }
    }

    private static final Map<Class<?>, Plan> PLANS = new ConcurrentHashMap<>();

    public static JsonNode parse(byte[] body) throws IOException {
        return MAPPER.readTree(body);
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException error) {
            throw new IllegalArgumentException("the request body cannot be written as JSON: " + error.getMessage(), error);
        }
    }

    /** camelCase to snake_case: {@code hasMore} -> {@code has_more}. */
    public static String snake(String name) {
        StringBuilder out = new StringBuilder(name.length() + 4);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c)) {
                out.append('_').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The model record for a JSON object. */
    public static <T> T read(JsonNode node, Class<T> type) {
        Object value = convert(node, type, Where.root(type.getSimpleName()));
        return type.cast(value);
    }

    private static Plan plan(Class<?> type) {
        return PLANS.computeIfAbsent(type, Json::makePlan);
    }

    private static Plan makePlan(Class<?> type) {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] raw = new Class<?>[components.length];
        String[] names = new String[components.length];
        Type[] types = new Type[components.length];
        boolean[] required = new boolean[components.length];
        for (int i = 0; i < components.length; i++) {
            raw[i] = components[i].getType();
            Name name = components[i].getAnnotation(Name.class);
            names[i] = name != null ? name.value() : snake(components[i].getName());
            types[i] = components[i].getGenericType();
            required[i] = components[i].isAnnotationPresent(Required.class);
        }
        try {
            MethodHandle constructor = MethodHandles.publicLookup()
                    .findConstructor(type, MethodType.methodType(void.class, raw))
                    .asSpreader(Object[].class, components.length);
            return new Plan(constructor, names, types, required);
        } catch (ReflectiveOperationException error) {
            throw new IllegalStateException("no canonical constructor for " + type, error);
        }
    }

    private static Object readRecord(JsonNode node, Class<?> type, Where where) {
        if (!node.isObject()) {
            throw new ShapeException(where + " should be a JSON object, not " + node.getNodeType());
        }
        Plan plan = plan(type);
        Object[] args = new Object[plan.names.length];
        for (int i = 0; i < args.length; i++) {
            JsonNode field = node.get(plan.names[i]);
            if (field == null || field.isNull()) {
                if (plan.required[i]) {
                    throw new ShapeException(where + " has no " + plan.names[i]);
                }
                args[i] = absent(plan.types[i]);
            } else {
                args[i] = convert(field, plan.types[i], where.field(plan.names[i]));
            }
        }
        try {
            return plan.constructor.invoke(args);
        } catch (RuntimeException error) {
            throw new ShapeException(where + ": " + error.getMessage());
        } catch (Throwable error) {
            throw new IllegalStateException(error);
        }
    }

    private static Object absent(Type type) {
        Class<?> raw = rawClass(type);
        if (raw == List.class) {
            return List.of();
        }
        if (raw == Map.class) {
            return Map.of();
        }
        if (raw == int.class) {
            return 0;
        }
        if (raw == long.class) {
            return 0L;
        }
        if (raw == double.class) {
            return 0.0;
        }
        if (raw == boolean.class) {
            return false;
        }
        return null;
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return Object.class;
    }

    private static Object convert(JsonNode node, Type type, Where where) {
        if (node == null || node.isNull()) {
            return absent(type);
        }
        Class<?> raw = rawClass(type);
        if (raw == String.class) {
            if (!node.isTextual()) {
                throw new ShapeException(where + " should be a string, not " + node.getNodeType());
            }
            return node.textValue();
        }
        if (raw == int.class || raw == Integer.class) {
            if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                throw new ShapeException(where + " should be an integer, not " + node);
            }
            return node.intValue();
        }
        if (raw == long.class || raw == Long.class) {
            if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                throw new ShapeException(where + " should be an integer, not " + node);
            }
            return node.longValue();
        }
        if (raw == double.class || raw == Double.class) {
            if (!node.isNumber()) {
                throw new ShapeException(where + " should be a number, not " + node);
            }
            return node.doubleValue();
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (!node.isBoolean()) {
                throw new ShapeException(where + " should be true or false, not " + node);
            }
            return node.booleanValue();
        }
        if (raw.isRecord()) {
            return readRecord(node, raw, where);
        }
        if (raw == List.class) {
            return readList(node, ((ParameterizedType) type).getActualTypeArguments()[0], where);
        }
        if (raw == Map.class) {
            return readMap(node, ((ParameterizedType) type).getActualTypeArguments()[1], where);
        }
        if (raw == JsonNode.class) {
            return node;
        }
        if (raw == Object.class) {
            return plain(node);
        }
        throw new IllegalStateException("no JSON conversion to " + type);
    }

    private static List<Object> readList(JsonNode node, Type item, Where where) {
        if (!node.isArray()) {
            throw new ShapeException(where + " should be a list, not " + node.getNodeType());
        }
        List<Object> values = new ArrayList<>(node.size());
        int index = 0;
        for (JsonNode element : node) {
            values.add(convert(element, item, where.item(index++)));
        }
        return Collections.unmodifiableList(values);
    }

    private static Map<String, Object> readMap(JsonNode node, Type value, Where where) {
        if (!node.isObject()) {
            throw new ShapeException(where + " should be an object, not " + node.getNodeType());
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            values.put(entry.getKey(), convert(entry.getValue(), value, where.field(entry.getKey())));
        }
        return Collections.unmodifiableMap(values);
    }

    /** A JSON value as plain unmodifiable Java values: Map, List, String, Long/Double, Boolean, null. */
    public static Object plain(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isObject()) {
            return readMap(node, Object.class, Where.root(""));
        }
        if (node.isArray()) {
            return readList(node, Object.class, Where.root(""));
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        return node.asText();
    }
}
