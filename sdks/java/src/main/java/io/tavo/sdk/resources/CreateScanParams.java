package io.tavo.sdk.resources;

import java.util.List;

/** A scan to create; repositoryUrl is required. */
public final class CreateScanParams extends Params<CreateScanParams> {
    public CreateScanParams repositoryUrl(String value) { return set("repository_url", value); }
    public CreateScanParams scanType(String value) { return set("scan_type", value); }
    public CreateScanParams branch(String value) { return set("branch", value); }
    /** The branch, tag or commit to scan (instead of branch). */
    public CreateScanParams ref(String value) { return set("ref", value); }
    /** Diff-aware: report only findings new relative to this branch or tag. */
    public CreateScanParams baseRef(String value) { return set("base_ref", value); }
    public CreateScanParams rules(String... values) { return setList("rules", values); }
    public CreateScanParams rules(List<String> values) { return set("rules", values == null ? null : List.copyOf(values)); }
    public CreateScanParams exclusions(String... values) { return setList("exclusions", values); }
    public CreateScanParams exclusions(List<String> values) { return set("exclusions", values == null ? null : List.copyOf(values)); }
}
