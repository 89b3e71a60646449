package io.tavo.sdk.resources;

import java.util.List;

/** How to scan an uploaded archive: scan type (default security), rules, exclusions and project. */
public final class UploadScanParams extends Params<UploadScanParams> {
    public UploadScanParams scanType(String value) { return set("scan_type", value); }
    public UploadScanParams rules(String... values) { return setList("rules", values); }
    public UploadScanParams rules(List<String> values) { return set("rules", values == null ? null : List.copyOf(values)); }
    public UploadScanParams exclusions(String... values) { return setList("exclusions", values); }
    public UploadScanParams exclusions(List<String> values) { return set("exclusions", values == null ? null : List.copyOf(values)); }
    /** Uploads naming the same project share tracked findings (client.findings()). */
    public UploadScanParams project(String value) { return set("project", value); }
}
