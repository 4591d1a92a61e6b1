package io.runwatch.app;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.engine.SourceOfRandomness;

/**
 * Malformed input records for the fault suite, every one invalid by construction (so the suite knows, without
 * asking runwatch's parser, that each must be refused). Part are written out by hand per kind of fault; the rest
 * are generated with jqwik's arbitraries (sampled outside a property, from jqwik's thread-local source of
 * randomness, seeded here so that a failure can be replayed).
 * {@link Kind#IMPLAUSIBLE_STEP} records are valid JSON with a valid step that jumps absurdly far ahead of their
 * run: the contract accepts them, the step guard must refuse them.
 */
final class FaultCorpus {
    enum Kind { TRUNCATED, BINARY, DEEPLY_NESTED, WRONG_TYPE, BAD_STEP, TRAILING_DATA, CONTROL_CHARACTER,
        DUPLICATE_KEY, OVERSIZED, RANDOM_TEXT, IMPLAUSIBLE_STEP }

    /** One bad record: the topic it goes to, its key and its bytes. */
    record Bad(Kind kind, String topic, String key, byte[] value) {
    }

    private static final List<Kind> SMALL_KINDS = List.of(Kind.TRUNCATED, Kind.BINARY, Kind.DEEPLY_NESTED,
            Kind.WRONG_TYPE, Kind.BAD_STEP, Kind.TRAILING_DATA, Kind.CONTROL_CHARACTER, Kind.DUPLICATE_KEY,
            Kind.RANDOM_TEXT);
    private final Random random;
    private final Iterator<String> anyText = Arbitraries.strings().all().ofMinLength(1).ofMaxLength(300)
            .filter(s -> !s.strip().startsWith("{")).sampleStream().iterator();
    private final Iterator<Character> controlChars = Arbitraries.oneOf(
            Arbitraries.chars().range('\u0000', '\u001f'), Arbitraries.chars().range('\u007f', '\u009f'),
            Arbitraries.of('\u2028', '\u2029')).sampleStream().iterator();
    private final Iterator<BigInteger> hugeSteps = Arbitraries.bigIntegers()
            .between(BigInteger.TWO.pow(53), BigInteger.TEN.pow(40)).sampleStream().iterator();
    private final Iterator<Double> fractions = Arbitraries.doubles().between(0, 1e12).sampleStream().iterator();
    private final Iterator<Long> negatives = Arbitraries.longs().between(Long.MIN_VALUE / 2, -1)
            .sampleStream().iterator();
    private final Iterator<String> wrongTypeValues = Arbitraries.oneOf(
            Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12).map(s -> "\"" + s + "\""),
            Arbitraries.of("true", "false", "[1]", "{}", "[]", "{\"n\":1}")).sampleStream().iterator();
    private final Iterator<String> trailing = Combinators.combine(
                    Arbitraries.of(" x", "}", "]", ",", " {\"run\":\"a\",\"step\":1}", "\n{}", " 1", " null", "\"\""),
                    Arbitraries.strings().alpha().ofMaxLength(20))
            .as((first, rest) -> first + rest).sampleStream().iterator();
    private final Iterator<Integer> depths = Arbitraries.integers().between(9, 3_000).sampleStream().iterator();

    private FaultCorpus(long seed) {
        this.random = new Random(seed);
    }

    /** A corpus whose hand-made and jqwik-generated parts both follow {@code seed}. */
    static FaultCorpus seeded(long seed) {
        SourceOfRandomness.create(Long.toString(seed)); // jqwik samples from this thread's source
        return new FaultCorpus(seed);
    }

    private static <T> T next(Iterator<T> samples) {
        return samples.next();
    }

    /** A contract-valid metrics record of {@code run}, as a basis for mutations. */
    static String goodMetric(String run, long step, double loss) {
        return String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"loss\":%.5f,\"grad_norm\":%.4f,"
                + "\"lr\":0.0003}", run, step, loss, 1.0 + (step % 5) * 0.01);
    }

    /** A small bad record for {@code run} (its key), of a kind drawn at random (never oversized or implausible). */
    Bad small(String run, long step) {
        Kind kind = SMALL_KINDS.get(random.nextInt(SMALL_KINDS.size()));
        String base = goodMetric(run, step, 2.5);
        return switch (kind) {
            case TRUNCATED -> metric(kind, run, base.substring(0, 1 + random.nextInt(base.length() - 1)));
            case BINARY -> {
                byte[] bytes = new byte[1 + random.nextInt(400)];
                random.nextBytes(bytes);
                bytes[0] = (byte) (0x80 | random.nextInt(0x40)); // a continuation byte first: never UTF-8, never {
                yield new Bad(kind, "runwatch.metrics", run, bytes);
            }
            case DEEPLY_NESTED -> {
                int depth = next(depths);
                yield metric(kind, run, "{\"run\":\"" + run + "\",\"step\":" + step + ",\"x\":" + "[".repeat(depth)
                        + "]".repeat(depth) + "}");
            }
            case WRONG_TYPE -> {
                String field = List.of("step", "loss", "grad_norm", "run", "groups").get(random.nextInt(5));
                String value = switch (field) {
                    case "groups" -> "[1,2]";
                    case "run" -> "7";
                    default -> next(wrongTypeValues);
                };
                if (value.startsWith("\"")) {
                    value = "\"not-a-number-" + value.substring(1); // never a number, nor nan or inf spelled out
                }
                yield metric(kind, run, "{\"run\":" + (field.equals("run") ? value : "\"" + run + "\"")
                        + ",\"step\":" + (field.equals("step") ? value : Long.toString(step))
                        + (field.equals("run") || field.equals("step") ? "" : ",\"" + field + "\":" + value) + "}");
            }
            case BAD_STEP -> {
                String bad = switch (random.nextInt(5)) {
                    case 0 -> next(hugeSteps).toString();
                    case 1 -> String.format(Locale.ROOT, "%d.%03d", next(fractions).longValue(), 1 + random.nextInt(998));
                    case 2 -> Long.toString(next(negatives));
                    case 3 -> "1e" + (16 + random.nextInt(400));
                    default -> List.of("NaN", "Infinity", "-Infinity", "-0.5", "188.5").get(random.nextInt(5));
                };
                yield metric(kind, run, "{\"run\":\"" + run + "\",\"step\":" + bad + ",\"loss\":2.5}");
            }
            case TRAILING_DATA -> metric(kind, run, base + next(trailing));
            case CONTROL_CHARACTER -> {
                char c = next(controlChars);
                String escaped = String.format(Locale.ROOT, "\\u%04x", (int) c);
                yield switch (random.nextInt(3)) {
                    case 0 -> metric(kind, run, "{\"run\":\"" + run + escaped + "\",\"step\":" + step + "}");
                    case 1 -> new Bad(kind, "runwatch.evals", run, bytes("{\"run\":\"" + run + "\",\"step\":" + step
                            + ",\"benchmark\":\"arc" + escaped + "\",\"value\":0.5}"));
                    default -> metric(kind, run, "{\"run\":\"" + run + "\",\"step\":" + step
                            + ",\"groups\":{\"attn" + escaped + "\":{\"grad_norm\":1}}}");
                };
            }
            case DUPLICATE_KEY -> {
                String field = List.of("run", "step", "loss").get(random.nextInt(3));
                String value = field.equals("run") ? "\"" + run + "\"" : field.equals("step") ? "" + (step + 1) : "1";
                yield metric(kind, run, base.substring(0, base.length() - 1) + ",\"" + field + "\":" + value + "}");
            }
            case RANDOM_TEXT -> metric(kind, run, next(anyText));
            case OVERSIZED, IMPLAUSIBLE_STEP -> throw new AssertionError("not drawn here");
        };
    }

    /** A record of exactly {@code size} bytes: a JSON object never closed (below the limit: malformed). */
    Bad oversized(String run, int size) {
        String head = "{\"run\":\"" + run + "\",\"step\":1,\"note\":\"";
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) 'x');
        System.arraycopy(bytes(head), 0, bytes, 0, head.length());
        return new Bad(Kind.OVERSIZED, "runwatch.metrics", run, bytes);
    }

    /** A valid record whose step jumps absurdly far ahead (but below 2^53): only the step guard can refuse it. */
    Bad implausibleStep(String run, long currentStep) {
        long step = currentStep + (1L << (30 + random.nextInt(22)));
        return metric(Kind.IMPLAUSIBLE_STEP, run, goodMetric(run, step, 2.5));
    }

    /** Bad run events: a start whose resume step is absurd, an unknown type, a control character. */
    Bad badEvent(String run) {
        String json = switch (random.nextInt(3)) {
            case 0 -> "{\"run\":\"" + run + "\",\"type\":\"start\",\"config\":{\"resumed_from_step\":1e30}}";
            case 1 -> "{\"run\":\"" + run + "\",\"type\":\"explode\"}";
            default -> "{\"run\":\"" + run + "\\u0000\",\"type\":\"end\"}";
        };
        return new Bad(Kind.CONTROL_CHARACTER, "runwatch.events", run, bytes(json));
    }

    private static Bad metric(Kind kind, String run, String json) {
        return new Bad(kind, "runwatch.metrics", run, bytes(json));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<Kind> kinds(List<Bad> corpus) {
        List<Kind> kinds = new ArrayList<>();
        corpus.forEach(b -> kinds.add(b.kind()));
        return kinds;
    }
}
