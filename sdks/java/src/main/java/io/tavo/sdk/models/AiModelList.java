package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** The analysis models and the server's default. */
public record AiModelList(List<AiModel> items, long total, String defaultModel) {}
