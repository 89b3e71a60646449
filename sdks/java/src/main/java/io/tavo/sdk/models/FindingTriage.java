package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A person's verdict on a finding: who, when, why. */
public record FindingTriage(@Required String status, String by, String at, String comment) {}
