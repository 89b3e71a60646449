package io.tavo.sdk.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Packs a local directory for uploadScan: a .zip of what git would track. Honoured: every
 * .gitignore on the way (the nearest one that decides wins, as in git; within one file the last
 * matching pattern), never the VCS directories themselves. Symbolic links and anything that is not a
 * regular file are left out (the server would not follow them either).
 */
public final class DirectoryPacker {
    private static final Set<String> VCS_DIRS = Set.of(".git", ".hg", ".svn");
    private static final long MAX_GITIGNORE_BYTES = 1024 * 1024;

    private DirectoryPacker() {}

    /** One .gitignore line as a regular expression over paths relative to the file's directory. */
    private record Rule(Pattern pattern, boolean negated, boolean directoryOnly) {}

    public static byte[] pack(Path root) {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException(root + " is not a directory");
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(buffer)) {
            for (String relative : trackedFiles(root)) {
                zip.putNextEntry(new ZipEntry(relative));
                zip.write(Files.readAllBytes(root.resolve(relative)));
                zip.closeEntry();
            }
        } catch (IOException error) {
            throw new UncheckedIOException("cannot pack " + root, error);
        }
        return buffer.toByteArray();
    }

    /** The files git would track under {@code root}, '/'-separated, sorted. */
    public static List<String> trackedFiles(Path root) throws IOException {
        List<String> found = new ArrayList<>();
        walk(root, "", new LinkedHashMap<>(), found);
        return found;
    }

    private static void walk(Path directory, String relativeDir, Map<String, List<Rule>> specs, List<String> found)
            throws IOException {
        Map<String, List<Rule>> here = new LinkedHashMap<>(specs);
        Path gitignore = directory.resolve(".gitignore");
        if (Files.isRegularFile(gitignore, LinkOption.NOFOLLOW_LINKS) && Files.size(gitignore) <= MAX_GITIGNORE_BYTES) {
            here.put(relativeDir, parse(Files.readString(gitignore, StandardCharsets.UTF_8)));
        }
        List<Path> entries;
        try (Stream<Path> listing = Files.list(directory)) {
            entries = listing.sorted().toList();
        }
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            String relative = relativeDir.isEmpty() ? name : relativeDir + "/" + name;
            if (Files.isSymbolicLink(entry)) {
                continue;
            }
            if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                if (!VCS_DIRS.contains(name) && !ignored(relative, true, here)) {
                    walk(entry, relative, here, found);
                }
            } else if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS) && !ignored(relative, false, here)) {
                found.add(relative);
            }
        }
    }

    /** Nearer .gitignore files decide first; in one file the last matching pattern decides. */
    static boolean ignored(String relative, boolean directory, Map<String, List<Rule>> specs) {
        List<String> bases = new ArrayList<>(specs.keySet());
        for (int i = bases.size() - 1; i >= 0; i--) {
            String base = bases.get(i);
            String inside = base.isEmpty() ? relative : relative.substring(base.length() + 1);
            Boolean decision = null;
            for (Rule rule : specs.get(base)) {
                if ((!rule.directoryOnly() || directory) && rule.pattern().matcher(inside).matches()) {
                    decision = !rule.negated();
                }
            }
            if (decision != null) {
                return decision;
            }
        }
        return false;
    }

    static List<Rule> parse(String text) {
        List<Rule> rules = new ArrayList<>();
        for (String raw : text.split("\r?\n")) {
            String line = raw.stripTrailing();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            boolean negated = line.startsWith("!");
            if (negated || line.startsWith("\\!") || line.startsWith("\\#")) {
                line = line.substring(1);
            }
            boolean directoryOnly = line.endsWith("/");
            if (directoryOnly) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                continue;
            }
            boolean anchored = line.contains("/");
            if (line.startsWith("/")) {
                line = line.substring(1);
            }
            String body = globToRegex(line);
            rules.add(new Rule(Pattern.compile(anchored ? body : "(?:.*/)?" + body), negated, directoryOnly));
        }
        return rules;
    }

    static String globToRegex(String glob) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (glob.startsWith("**/", i)) {
                out.append("(?:.*/)?");
                i += 2;
            } else if (glob.startsWith("/**", i) && i + 3 == glob.length()) {
                out.append("/.*");
                i += 2;
            } else if (glob.startsWith("**", i)) {
                out.append(".*");
                i += 1;
            } else if (c == '*') {
                out.append("[^/]*");
            } else if (c == '?') {
                out.append("[^/]");
            } else if (c == '[') {
                int end = glob.indexOf(']', i + 1);
                if (end < 0) {
                    out.append("\\[");
                } else {
                    String inner = glob.substring(i + 1, end);
                    if (inner.startsWith("!")) {
                        inner = "^" + inner.substring(1);
                    }
                    out.append('[').append(inner.replace("\\", "\\\\")).append(']');
                    i = end;
                }
            } else if (c == '\\' && i + 1 < glob.length()) {
                out.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
            } else {
                out.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return out.toString();
    }
}
