package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Name;
import io.tavo.sdk.internal.Required;

/** Findings between two completed scans of a repository, by fingerprint: new ({@code newFindings}, JSON "new"), fixed and unchanged. */
public record ScanDiff(@Required String scanId, @Required String baseScanId, String repositoryId, String project,
        String commitSha, String baseCommitSha, Map<String, Integer> counts, @Name("new") List<Vulnerability> newFindings,
        List<Vulnerability> fixed, List<Vulnerability> unchanged) {}
