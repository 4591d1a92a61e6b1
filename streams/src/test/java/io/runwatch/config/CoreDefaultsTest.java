package io.runwatch.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.runwatch.core.evals.EvalSettings;
import io.runwatch.core.liveness.LivenessSettings;
import io.runwatch.core.training.TrainingSettings;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The detection core may not depend on {@code config} (ArchitectureTest), so its settings records keep a
 * {@code defaults()} of their own for unit tests. Those must be the catalogue's defaults, field by field: a test
 * that judges a value production never uses proves nothing.
 */
class CoreDefaultsTest {
    /** Every settings record with a static {@code defaults()}, and what the catalogue builds for it. */
    private static final Map<Class<?>, Function<Settings, Object>> CATALOGUE = Map.of(
            TrainingSettings.class, Settings::training,
            TrainingSettings.NotTrainingSettings.class, s -> s.training().notTraining(),
            EvalSettings.class, Settings::evals,
            LivenessSettings.class, Settings::liveness);

    @Test
    void everyRecordDefaultIsTheCatalogueDefault() throws Exception {
        List<String> differences = new ArrayList<>();
        for (Map.Entry<Class<?>, Function<Settings, Object>> entry : CATALOGUE.entrySet()) {
            Object core = entry.getKey().getMethod("defaults").invoke(null);
            compare(entry.getKey().getSimpleName(), core, entry.getValue().apply(Settings.defaults()), differences);
        }
        assertThat(differences).as("core defaults() that differ from config/Settings").isEmpty();
    }

    @Test
    void theComparisonSeesADifferenceInANestedField() throws Exception {
        TrainingSettings.NotTrainingSettings n = TrainingSettings.NotTrainingSettings.defaults();
        TrainingSettings t = TrainingSettings.defaults();
        TrainingSettings changed = new TrainingSettings(t.warmupSteps(), t.spikeEnterZ(), t.spikeConfirmZ(),
                t.spikeMinRise(), t.recoveryWindowSteps(), t.recoveryProgressSteps(), t.slowDivergenceRise(),
                t.spikeRateTicketPer1000(), t.gradSpikeZ(), t.gradPersistSteps(), t.precursorCollapseDecades(),
                t.precursorUpdateRms(), t.reorderToleranceSteps(), t.snapshotIntervalSteps(), t.spikeMaxRiseSteps(),
                t.divergenceFastRise(), t.recoveryNoiseZ(), t.spikeCumulativeZ(),
                new TrainingSettings.NotTrainingSettings(n.skipWindowSteps(), n.skipFraction(), n.minLossScale(),
                        n.scaleCollapseHalvings(), n.minImprovement(), n.frozenAlpha(), n.frozenMinRepeats(),
                        n.collapsedFloor(), n.collapsedSteps(), n.blowupDecades() + 1));
        List<String> differences = new ArrayList<>();
        compare("TrainingSettings", changed, t, differences);
        assertThat(differences).containsExactly("TrainingSettings.notTraining.blowupDecades: record "
                + (n.blowupDecades() + 1) + ", catalogue " + n.blowupDecades());
    }

    @Test
    void everySettingsRecordWithDefaultsIsPinned() {
        List<String> unpinned = new ArrayList<>();
        for (JavaClass javaClass : new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.runwatch")) {
            Class<?> type = javaClass.reflect();
            if (type.isRecord() && hasStaticDefaults(type) && !CATALOGUE.containsKey(type)) {
                unpinned.add(type.getName());
            }
        }
        assertThat(unpinned).as("records with their own defaults(): add them to CATALOGUE").isEmpty();
    }

    private static boolean hasStaticDefaults(Class<?> type) {
        try {
            Method defaults = type.getMethod("defaults");
            return Modifier.isStatic(defaults.getModifiers());
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /** Walks record components (nested records too) and lists each leaf that differs, by path. */
    private static void compare(String path, Object core, Object catalogue, List<String> differences)
            throws Exception {
        if (core != null && core.getClass().isRecord()) {
            for (RecordComponent component : core.getClass().getRecordComponents()) {
                compare(path + "." + component.getName(), component.getAccessor().invoke(core),
                        component.getAccessor().invoke(catalogue), differences);
            }
        } else if (!java.util.Objects.equals(core, catalogue)) {
            differences.add(path + ": record " + core + ", catalogue " + catalogue);
        }
    }
}
