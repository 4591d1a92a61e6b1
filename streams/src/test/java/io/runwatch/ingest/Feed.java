package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Test helper: feeds lines to a parser, checks every record against the contract, reads records back as JSON. */
final class Feed {
    private static final InputParser CONTRACT = new InputParser(1 << 20);

    private Feed() {
    }

    /** Every record of these lines plus the flush, each one checked against the input contract. */
    static List<ContractRecord> lines(TrainerLogParser parser, String... lines) {
        List<ContractRecord> records = new ArrayList<>();
        for (String line : lines) {
            records.addAll(parser.accept(line).records());
        }
        records.addAll(parser.flush());
        for (ContractRecord r : records) {
            assertThat(CONTRACT.parse(r.kind(), r.json().getBytes(StandardCharsets.UTF_8), 0).isOk())
                    .as("contract accepts %s", r.json()).isTrue();
        }
        return records;
    }

    /** The metrics records of these lines, as JSON. */
    static List<JsonNode> metrics(TrainerLogParser parser, String... lines) {
        return lines(parser, lines).stream().filter(r -> r.kind() == InputParser.Kind.METRICS).map(Feed::json)
                .toList();
    }

    /** The event records of these lines, as JSON. */
    static List<JsonNode> events(TrainerLogParser parser, String... lines) {
        return lines(parser, lines).stream().filter(r -> r.kind() == InputParser.Kind.EVENTS).map(Feed::json)
                .toList();
    }

    static JsonNode json(ContractRecord record) {
        try {
            return Json.MAPPER.readTree(record.json());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TrainerLogParser parser(String format) {
        return TrainerLogFormats.create(format, "r", null);
    }

    static List<Long> steps(List<JsonNode> records) {
        return records.stream().map(r -> r.get("step").asLong()).toList();
    }
}
