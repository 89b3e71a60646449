package io.tavo.sdk.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Server-Sent Events (text/event-stream), parsed line by line: feed lines without their line
 * ending; an event comes out at each blank line. Comments and unknown fields are ignored.
 */
public final class SseDecoder {
    /** One event of the stream. */
    public record Event(String event, String data, String id) {}

    private String event = "";
    private final List<String> data = new ArrayList<>();
    private String id;

    /** The event completed by this line, or null. */
    public Event feed(String rawLine) {
        String line = rawLine.endsWith("\r") ? rawLine.substring(0, rawLine.length() - 1) : rawLine;
        if (line.isEmpty()) {
            return dispatch();
        }
        if (line.startsWith(":")) {
            return null;
        }
        int colon = line.indexOf(':');
        String name = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (name) {
            case "event" -> event = value;
            case "data" -> data.add(value);
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    id = value;
                }
            }
            default -> { }
        }
        return null;
    }

    private Event dispatch() {
        if (data.isEmpty() && event.isEmpty()) {
            return null;
        }
        Event done = new Event(event.isEmpty() ? "message" : event, String.join("\n", data), id);
        event = "";
        data.clear();
        return done;
    }
}
