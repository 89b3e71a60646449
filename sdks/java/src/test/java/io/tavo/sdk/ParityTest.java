package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Lists the Python SDK's public resource methods (by introspecting it in the repository's .venv) and
 * checks that every one has its Java twin under the camelCase name, blocking and {@code ...Async}
 * (iterators return a Pager, which has both styles itself), and that Java has nothing Python lacks.
 */
class ParityTest {
    private static final String LIST_PYTHON = String.join("\n",
            "import inspect, json, typing",
            "from tavo import SyncTavoClient, TavoClient",
            "def methods(client_type):",
            "    resources = {}",
            "    for name, hint in typing.get_type_hints(client_type).items():",
            "        if name.startswith('_') or not hint.__module__.startswith('tavo.resources'):",
            "            continue",
            "        resources[name] = sorted(m for m, v in inspect.getmembers(hint)",
            "                                 if not m.startswith('_') and inspect.isfunction(v))",
            "    return resources",
            "print(json.dumps({'sync': methods(SyncTavoClient), 'async': methods(TavoClient)}))");

    static String camel(String snake) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        // Python's "ai" prefix is an acronym; Java names write it "ai" too (aiAnalysis).
        return out.toString();
    }

    private static Set<String> publicMethods(Class<?> type) {
        Set<String> names = new TreeSet<>();
        for (Method method : type.getDeclaredMethods()) {
            if (Modifier.isPublic(method.getModifiers()) && !method.isSynthetic()) {
                names.add(method.getName());
            }
        }
        return names;
    }

    @Test
    void everyPythonMethodHasItsJavaTwins() throws Exception {
        String output = TestServer.run(List.of(TestServer.REPO.resolve(".venv/bin/python").toString(), "-c", LIST_PYTHON),
                TestServer.REPO);
        JsonNode python = TestServer.JSON.readTree(output);
        assertEquals(python.get("sync"), python.get("async"), "the Python clients differ from each other");
        List<String> missing = new ArrayList<>();
        int checked = 0;
        Set<String> resources = new TreeSet<>();
        for (var resource : iterable(python.get("sync").fields())) {
            String accessor = camel(resource.getKey());
            resources.add(accessor);
            Method getter = TavoClient.class.getMethod(accessor);
            Class<?> type = getter.getReturnType();
            Set<String> java = publicMethods(type);
            Set<String> expected = new TreeSet<>();
            for (JsonNode method : resource.getValue()) {
                String name = camel(method.asText());
                expected.add(name);
                checked++;
                if (!java.contains(name)) {
                    missing.add(type.getSimpleName() + "." + name);
                }
                if (name.startsWith("iter")) {
                    assertReturns(type, name, Pager.class);
                } else {
                    expected.add(name + "Async");
                    if (!java.contains(name + "Async")) {
                        missing.add(type.getSimpleName() + "." + name + "Async");
                    } else {
                        assertReturns(type, name + "Async", CompletableFuture.class);
                    }
                }
            }
            Set<String> extra = new TreeSet<>(java);
            extra.removeAll(expected);
            assertTrue(extra.isEmpty(), type.getSimpleName() + " has methods the Python SDK lacks: " + extra);
        }
        assertTrue(missing.isEmpty(), "Java lacks: " + missing);
        assertTrue(checked >= 30, "too few Python methods found: " + checked);
        assertEquals(Set.of("aiAnalysis", "auditLog", "findings", "repositories", "scanBulkOperations", "scanManagement",
                "scanRules", "schedules", "usage", "users", "webhooks"), resources);
    }

    private static void assertReturns(Class<?> type, String name, Class<?> expected) {
        for (Method method : type.getMethods()) {
            if (method.getName().equals(name)) {
                assertTrue(expected.isAssignableFrom(method.getReturnType()),
                        type.getSimpleName() + "." + name + " returns " + method.getReturnType());
            }
        }
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> iterator) {
        return () -> iterator;
    }

    private static final String LIST_MODELS = String.join("\n",
            "import dataclasses, importlib, inspect, json, pkgutil",
            "import tavo.types",
            "from tavo._models import Model",
            "models = {}",
            "for info in pkgutil.iter_modules(tavo.types.__path__):",
            "    module = importlib.import_module('tavo.types.' + info.name)",
            "    for name, cls in inspect.getmembers(module, inspect.isclass):",
            "        if cls.__module__ == module.__name__ and dataclasses.is_dataclass(cls) and issubclass(cls, Model):",
            "            models[name] = sorted(f.name for f in dataclasses.fields(cls))",
            "print(json.dumps(models))");

    /** Python models Java has under another name, or not as a class of its own. */
    private static final Map<String, String> MODEL_NAMES = Map.of("AIModel", "AiModel", "AIModelList", "AiModelList");
    private static final Set<String> NOT_CLASSES = Set.of(
            "PageInfo",            // the page fields of every list model (Java: the Page interface)
            "ScanFindingTriage");  // ScanResults.triaged, a map by fingerprint in Java

    @Test
    void everyPythonModelFieldHasItsJavaComponent() throws Exception {
        String output = TestServer.run(List.of(TestServer.REPO.resolve(".venv/bin/python").toString(), "-c", LIST_MODELS),
                TestServer.REPO);
        JsonNode python = TestServer.JSON.readTree(output);
        List<String> differences = new ArrayList<>();
        int checked = 0;
        for (var model : iterable(python.fields())) {
            if (NOT_CLASSES.contains(model.getKey())) {
                continue;
            }
            String javaName = MODEL_NAMES.getOrDefault(model.getKey(), model.getKey());
            Class<?> type;
            try {
                type = Class.forName("io.tavo.sdk.models." + javaName);
            } catch (ClassNotFoundException missing) {
                differences.add("no model " + javaName);
                continue;
            }
            Set<String> java = new TreeSet<>();
            for (java.lang.reflect.RecordComponent component : type.getRecordComponents()) {
                io.tavo.sdk.internal.Name name = component.getAnnotation(io.tavo.sdk.internal.Name.class);
                java.add(name != null ? name.value() : io.tavo.sdk.internal.Json.snake(component.getName()));
            }
            Set<String> fields = new TreeSet<>();
            model.getValue().forEach(field -> fields.add(field.asText()));
            checked++;
            if (!java.equals(fields)) {
                Set<String> missing = new TreeSet<>(fields);
                missing.removeAll(java);
                Set<String> extra = new TreeSet<>(java);
                extra.removeAll(fields);
                differences.add(javaName + " lacks " + missing + ", has beyond Python " + extra);
            }
        }
        assertTrue(differences.isEmpty(), "models differ: " + differences);
        assertTrue(checked >= 40, "too few Python models found: " + checked);
    }

    @Test
    void clientLevelFeaturesMatch() throws Exception {
        // The Python client's base_url, metrics, circuit_breaker, rate_limits and close.
        for (String name : Map.of("baseUrl", 0, "metrics", 0, "circuitBreaker", 0, "rateLimits", 0, "close", 0).keySet()) {
            TavoClient.class.getMethod(name);
        }
    }
}
