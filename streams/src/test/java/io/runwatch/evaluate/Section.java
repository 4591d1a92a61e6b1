package io.runwatch.evaluate;

import java.util.List;

/** One printable evaluation section, shared by all suites: a Markdown table with a title and notes under it. */
public record Section(String title, List<String> header, List<List<String>> rows, List<String> notes) {

    public Section(String title, List<String> header, List<List<String>> rows) {
        this(title, header, rows, List.of());
    }

    public String toMarkdown() {
        StringBuilder md = new StringBuilder("### ").append(title).append("\n\n");
        md.append("| ").append(String.join(" | ", header)).append(" |\n");
        md.append("|").append("---|".repeat(header.size())).append("\n");
        for (List<String> row : rows) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        md.append("\n");
        for (String note : notes) {
            md.append("- ").append(note).append("\n");
        }
        return md.toString();
    }
}
