package io.runwatch.core.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.contract.Json;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import org.junit.jupiter.api.Test;

/** Every transition of the alert lifecycle, with steps and record times as plain numbers. */
class AlertLifecycleTest {
    private static final long COOLDOWN = 100;
    private final AlertLifecycle lifecycle = new AlertLifecycle(COOLDOWN);
    private final AlertBook book = new AlertBook();

    private static Alert ticket(String benchmark, long onsetStep, long timeMs) {
        return Alert.firing("r", AlertType.eval_regression, Severity.ticket, onsetStep)
                .benchmark(benchmark, "acc").detectedAt(onsetStep, timeMs).summary("fell").build();
    }

    private static Alert of(AlertType type, Severity severity, long onsetStep, Long rollbackTo, long timeMs) {
        Alert.Builder builder = Alert.firing("r", type, severity, onsetStep).detectedAt(onsetStep, timeMs)
                .summary("s");
        if (rollbackTo != null) {
            builder.rollbackTo(rollbackTo);
        }
        return builder.build();
    }

    @Test
    void aNewEpisodeFiresAndIsOpen() {
        Alert firing = ticket("arc", 1_000, 10);
        assertThat(lifecycle.admit(book, firing)).isTrue();
        assertThat(book.open).containsOnlyKeys(firing.id());
        assertThat(book.openCount("eval_regression", "ticket")).isEqualTo(1);
        assertThat(book.lastAlertMs).isEqualTo(10);
    }

    @Test
    void aBenchmarksOpenEpisodesAreCountedPerBenchmarkAndGroup() {
        lifecycle.admit(book, ticket("arc", 1_000, 10).withGroup("knowledge"));
        lifecycle.admit(book, ticket("boolq", 1_000, 10).withGroup("reading"));
        assertThat(book.openCount("eval_regression", "ticket", "arc", "knowledge")).isEqualTo(1);
        assertThat(book.openCount("eval_regression", "ticket", "boolq", "knowledge")).isZero();
        assertThat(book.openCount("eval_regression", "ticket")).isEqualTo(2);
    }

    @Test
    void admittedLossSpikesAndDivergencesAreKeptWithTheirSpanForTheCoDrop() {
        Alert spike = of(AlertType.loss_spike, Severity.ticket, 351, 300L, 10);
        Alert notice = of(AlertType.loss_spike, Severity.info, 200, null, 5);
        lifecycle.admit(book, notice);
        lifecycle.admit(book, spike);
        lifecycle.admit(book, spike.resolvedAt(362, 20, "back"));
        assertThat(book.trainingEpisodes).singleElement().satisfies(e -> {
            assertThat(e.id).isEqualTo("r/loss_spike/351");
            assertThat(e.onsetStep).isEqualTo(351);
            assertThat(e.endStep).isEqualTo(362L);
        });
        for (int i = 0; i < AlertBook.TRAINING_EPISODES + 4; i++) {
            lifecycle.admit(book, of(AlertType.divergence, Severity.page, 1_000 + i, null, 30 + i));
        }
        assertThat(book.trainingEpisodes).hasSize(AlertBook.TRAINING_EPISODES);
        assertThat(book.trainingEpisodes.peekLast().endStep).isNull();
    }

    @Test
    void theSameEpisodeFiringAgainIsSwallowed() {
        Alert firing = ticket("arc", 1_000, 10);
        lifecycle.admit(book, firing);
        assertThat(lifecycle.admit(book, firing)).isFalse();
        assertThat(book.open).hasSize(1);
    }

    @Test
    void aResolveClosesTheEpisodeOnceAndAReplayedFiringStaysClosed() {
        Alert firing = ticket("arc", 1_000, 10);
        lifecycle.admit(book, firing);
        Alert resolved = firing.resolvedAt(1_200, 20, "back");
        assertThat(lifecycle.admit(book, resolved)).isTrue();
        assertThat(book.open).isEmpty();
        assertThat(book.closed).containsExactly(firing.id());
        assertThat(lifecycle.admit(book, resolved)).isFalse(); // resolved twice
        assertThat(lifecycle.admit(book, firing)).isFalse(); // replay after a restart
        assertThat(book.open).isEmpty();
    }

    @Test
    void aResolveOfAnEpisodeNeverOpenedIsSwallowed() {
        assertThat(lifecycle.admit(book, ticket("arc", 1_000, 10).resolvedAt(1_100, 11, "back"))).isFalse();
        assertThat(book.closed).isEmpty();
        assertThat(book.lastAlertMs).isEqualTo(11); // still counts as activity of the run
    }

    @Test
    void aTicketOfTheSameSubjectWithinTheCooldownIsHeldAndItsResolveSwallowed() {
        Alert first = ticket("arc", 1_000, 10);
        lifecycle.admit(book, first);
        lifecycle.admit(book, first.resolvedAt(1_050, 11, "back"));

        Alert flap = ticket("arc", 1_050 + COOLDOWN - 1, 12);
        assertThat(lifecycle.admit(book, flap)).isFalse();
        assertThat(book.open).isEmpty();
        assertThat(book.closed).contains(flap.id());
        assertThat(lifecycle.admit(book, flap.resolvedAt(1_200, 13, "back"))).isFalse();
        assertThat(lifecycle.admit(book, flap)).isFalse(); // a replay of the held one stays held
    }

    @Test
    void theCooldownEndsAfterItsStepsAndDoesNotHoldAnotherSubject() {
        Alert first = ticket("arc", 1_000, 10);
        lifecycle.admit(book, first);
        lifecycle.admit(book, first.resolvedAt(1_050, 11, "back"));

        assertThat(lifecycle.admit(book, ticket("piqa", 1_060, 12))).isTrue();
        assertThat(lifecycle.admit(book, ticket("arc", 1_050 + COOLDOWN, 13))).isTrue();
    }

    @Test
    void aTicketWhoseOnsetIsBeforeTheResolveIsNotHeld() {
        // A late or rewound episode began before the last one resolved: not a flap of it.
        Alert first = ticket("arc", 1_000, 10);
        lifecycle.admit(book, first);
        lifecycle.admit(book, first.resolvedAt(1_050, 11, "back"));
        assertThat(lifecycle.admit(book, ticket("arc", 1_040, 12))).isTrue();
    }

    @Test
    void pagesAreNeverHeld() {
        Alert ticket = of(AlertType.loss_spike, Severity.ticket, 500, null, 1);
        lifecycle.admit(book, ticket);
        lifecycle.admit(book, ticket.resolvedAt(510, 2, "recovered"));
        assertThat(lifecycle.admit(book, of(AlertType.loss_spike, Severity.page, 520, null, 3))).isTrue();
    }

    @Test
    void aResolvedNoticeStartsNoCooldown() {
        Alert notice = of(AlertType.loss_spike, Severity.info, 500, null, 1);
        assertThat(lifecycle.admit(book, notice)).isTrue();
        assertThat(lifecycle.admit(book, notice.resolvedAt(501, 2, "one batch"))).isTrue();
        assertThat(book.lastResolvedStep).isEmpty();
        assertThat(lifecycle.admit(book, of(AlertType.loss_spike, Severity.ticket, 505, null, 3))).isTrue();
    }

    @Test
    void expiredCooldownsAreForgottenAtTheNextResolve() {
        Alert arc = ticket("arc", 1_000, 10);
        lifecycle.admit(book, arc);
        lifecycle.admit(book, arc.resolvedAt(1_050, 11, "back"));
        Alert piqa = ticket("piqa", 2_000, 12);
        lifecycle.admit(book, piqa);
        lifecycle.admit(book, piqa.resolvedAt(2_000, 13, "back"));
        assertThat(book.lastResolvedStep).containsOnlyKeys("eval_regression|piqa:acc");
    }

    @Test
    void theClosedMemoryKeepsTheNewestIds() {
        for (int i = 0; i < AlertBook.MEMORY + 10; i++) {
            Alert alert = of(AlertType.loss_spike, Severity.info, i, null, i);
            lifecycle.admit(book, alert);
            lifecycle.admit(book, alert.resolvedAt(i, i, "one batch"));
        }
        assertThat(book.closed).hasSize(AlertBook.MEMORY);
        assertThat(book.closed.peekFirst()).endsWith("/10");
    }

    @Test
    void theRecordTimeOfTheBookNeverGoesBack() {
        lifecycle.admit(book, ticket("arc", 1_000, 50));
        lifecycle.admit(book, ticket("piqa", 900, 40)); // a late record
        assertThat(book.lastAlertMs).isEqualTo(50);
    }

    @Test
    void aBookIsForgottenOnlyWithNothingOpenAfterTheRetention() {
        Alert firing = ticket("arc", 1_000, 1_000);
        lifecycle.admit(book, firing);
        assertThat(AlertLifecycle.isForgettable(book, 1_000_000, 500)).isFalse(); // an episode is open
        lifecycle.admit(book, firing.resolvedAt(1_100, 2_000, "back"));
        assertThat(AlertLifecycle.isForgettable(book, 2_500, 500)).isFalse();
        assertThat(AlertLifecycle.isForgettable(book, 2_501, 500)).isTrue();
    }

    @Test
    void theNewestOpenRollbackTargetOfAType() {
        lifecycle.admit(book, of(AlertType.divergence, Severity.page, 100, 80L, 1));
        lifecycle.admit(book, of(AlertType.divergence, Severity.page, 300, 250L, 2));
        lifecycle.admit(book, of(AlertType.divergence, Severity.page, 400, null, 3));
        assertThat(book.newestRollback("divergence")).isEqualTo(250L);
        assertThat(book.newestRollback("loss_spike")).isNull();
        assertThat(book.openCount("divergence", "page")).isEqualTo(3);
    }

    @Test
    void aBookStoredBeforeTheMoveIsReadBack() throws Exception {
        // The JSON a topology.AlertBook wrote (the class moved here; field names are the contract), plus a field
        // a newer version might add.
        String stored = "{\"open\":{\"r/divergence/300\":{\"type\":\"divergence\",\"severity\":\"page\","
                + "\"rollbackToStep\":250,\"firedAtMs\":7}},\"closed\":[\"r/loss_spike/100\"],\"lastAlertMs\":7,"
                + "\"lastResolvedStep\":{\"loss_spike|null\":120},\"addedLater\":1}";
        AlertBook read = Json.MAPPER.readValue(stored, AlertBook.class);
        assertThat(read.newestRollback("divergence")).isEqualTo(250L);
        assertThat(read.closed).containsExactly("r/loss_spike/100");
        assertThat(read.lastResolvedStep).containsEntry("loss_spike|null", 120L);
        assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(read), AlertBook.class).lastAlertMs)
                .isEqualTo(7);
    }
}
