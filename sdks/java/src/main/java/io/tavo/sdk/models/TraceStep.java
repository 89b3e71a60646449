package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One step of the data flow behind a taint finding, source first. */
public record TraceStep(String path, int line, String note) {}
