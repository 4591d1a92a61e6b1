package io.runwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class SettingsTest {
    @Test
    void theReadmeSettingsTableMatchesTheDefinitions() throws Exception {
        Path readme = Path.of("..", "README.md");
        assertThat(Files.readString(readme))
                .as("README.md settings table: regenerate it from Settings.markdownTable()")
                .contains(Settings.markdownTable());
    }

    @Test
    void precedenceIsDefaultThenFileThenEnvironmentThenFlags() {
        Properties file = new Properties();
        file.setProperty("training.warmup.steps", "10");
        assertThat(Settings.load(file, Map.of(), Map.of()).longValue(Settings.TRAINING_WARMUP_STEPS)).isEqualTo(10);
        Map<String, String> env = Map.of("RUNWATCH_TRAINING_WARMUP_STEPS", "20");
        assertThat(Settings.load(file, env, Map.of()).longValue(Settings.TRAINING_WARMUP_STEPS)).isEqualTo(20);
        assertThat(Settings.load(file, env, Map.of("training.warmup.steps", "30"))
                .longValue(Settings.TRAINING_WARMUP_STEPS)).isEqualTo(30);
        assertThat(Settings.defaults().longValue(Settings.TRAINING_WARMUP_STEPS))
                .isEqualTo(Long.parseLong(Settings.TRAINING_WARMUP_STEPS.defaultValue()));
    }

    @Test
    void rejectsOutOfRangeValuesAndUnknownKeysNamingTheSetting() {
        assertThatThrownBy(() -> Settings.load(new Properties(), Map.of(), Map.of("topics.partitions", "0")))
                .hasMessageContaining("topics.partitions").hasMessageContaining("allowed");
        Properties typo = new Properties();
        typo.setProperty("training.warmup.stepz", "3");
        assertThatThrownBy(() -> Settings.load(typo, Map.of(), Map.of()))
                .hasMessageContaining("training.warmup.stepz");
    }

    @Test
    void everySettingHasADocAndAValidDefault() {
        for (Setting s : Settings.definitions()) {
            assertThat(s.doc()).as(s.key()).isNotBlank();
            assertThat(s.envName()).startsWith("RUNWATCH_");
            s.parse(s.defaultValue());
        }
        assertThat(Settings.definitions()).extracting(Setting::key).doesNotHaveDuplicates();
    }
}
