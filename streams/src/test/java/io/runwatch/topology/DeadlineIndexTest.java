package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeadlineIndexTest {
    @Test
    void listsOnlyTheRunsDueEarliestFirstAndAtMostTheBound() {
        DeadlineIndex index = new DeadlineIndex();
        index.schedule(index.entry("late"), 300);
        index.schedule(index.entry("early"), 100);
        index.schedule(index.entry("middle"), 200);
        index.entry("never");

        assertThat(index.due(99, 10)).isEmpty();
        assertThat(index.anyDue(99)).isFalse();
        assertThat(index.due(200, 10)).containsExactly("early", "middle");
        assertThat(index.due(1_000, 2)).containsExactly("early", "middle");
        assertThat(index.due(Long.MAX_VALUE - 1, 10)).containsExactly("early", "middle", "late");
        assertThat(index.size()).isEqualTo(4);
    }

    @Test
    void aRescheduledRunLeavesItsOldPlaceAndARemovedRunIsGone() {
        DeadlineIndex index = new DeadlineIndex();
        DeadlineIndex.Entry run = index.entry("a");
        index.schedule(run, 100);
        index.schedule(index.entry("b"), 150);

        index.schedule(run, 500); // a record moved its deadline
        assertThat(index.due(200, 10)).containsExactly("b");
        assertThat(index.entry("a")).isSameAs(run);
        assertThat(index.get("a").dueMs()).isEqualTo(500);

        index.remove("b");
        assertThat(index.due(1_000, 10)).containsExactly("a");
        assertThat(index.get("b")).isNull();
        assertThat(index.entries()).extracting(e -> e.run).containsExactly("a");
    }

    @Test
    void runsOfUnknownDueTimeAreDueAtOnce() {
        DeadlineIndex index = new DeadlineIndex();
        index.schedule(index.entry("restored"), DeadlineIndex.UNKNOWN);
        assertThat(index.due(Long.MIN_VALUE, 10)).containsExactly("restored");
    }
}
