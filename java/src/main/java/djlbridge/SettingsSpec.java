package djlbridge;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings of a training run as {@code djl_bridge/settings.json} defines them, read from
 * this jar ({@value #RESOURCE}; Gradle copies the file there): each setting's default, check and
 * choices. Python's {@code TrainConfig} reads the same file, so the defaults and the checks are
 * written once; {@link TrainSettings.Builder} takes its defaults from here and checks its values
 * with {@link #check}. A bad value is refused in the words of the command line's flags, which
 * {@link Main} takes: {@code --epochs must be a whole number > 0, got 0}.
 */
public final class SettingsSpec {

    /** Where the file lies on the classpath. */
    public static final String RESOURCE = "/djlbridge/settings.json";

    private static final SettingsSpec SPEC = load();

    private final String text;
    private final Map<String, JsonObject> settings;

    private SettingsSpec(String text) {
        this.text = text;
        Map<String, JsonObject> byName = new LinkedHashMap<>();
        for (JsonElement e : JsonParser.parseString(text).getAsJsonObject().getAsJsonArray("settings")) {
            JsonObject setting = e.getAsJsonObject();
            byName.put(setting.get("name").getAsString(), setting);
        }
        settings = Collections.unmodifiableMap(byName);
    }

    /**
     * Returns the settings of this jar's {@value #RESOURCE}.
     *
     * @return the spec
     */
    public static SettingsSpec get() {
        return SPEC;
    }

    private static SettingsSpec load() {
        try (InputStream in = SettingsSpec.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath: "
                        + "rebuild the Java side (gradle assemble)");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
            }
            return new SettingsSpec(new String(out.toByteArray(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns the file's text, as the jar holds it.
     *
     * @return the JSON text
     */
    public String getText() {
        return text;
    }

    /**
     * Returns the names of the settings, in the file's order.
     *
     * @return the names
     */
    public List<String> getNames() {
        return new ArrayList<>(settings.keySet());
    }

    /**
     * Returns a setting's default.
     *
     * @param name the setting, by its Python name ("epochs", "batch_size")
     * @return the default as JSON (a string, number, boolean or null)
     */
    public JsonElement getDefault(String name) {
        return setting(name).get("default");
    }

    /**
     * Returns the allowed values of a {@code choice} setting: the model's are the model kinds.
     *
     * @param name the setting
     * @return the values, in the file's order
     */
    public List<String> getChoices(String name) {
        JsonElement choices = setting(name).get("choices");
        List<String> out = new ArrayList<>();
        if (choices != null && choices.isJsonArray()) {
            for (JsonElement e : (JsonArray) choices) {
                out.add(e.getAsString());
            }
        } else if (choices != null) { // "model kinds"
            for (ModelKind kind : ModelKind.values()) {
                out.add(kind.getName());
            }
        }
        return out;
    }

    /**
     * Checks a value against its setting's check; the one place Java does.
     *
     * @param name the setting
     * @param value its value: a String, a Number or a Boolean
     * @throws IllegalArgumentException naming the setting's flag and what it must be
     */
    public void check(String name, Object value) {
        String flag = "--" + name.replace('_', '-');
        String check = setting(name).get("check").getAsString();
        switch (check) {
            case "choice":
                List<String> choices = getChoices(name);
                if (!choices.contains(value)) {
                    throw new IllegalArgumentException("unknown " + name + " '" + value + "' (" + flag
                            + "): use one of " + String.join(", ", choices));
                }
                break;
            case "count":
                if (((Number) value).longValue() <= 0) {
                    throw new IllegalArgumentException(flag + " must be a whole number > 0, got " + value);
                }
                break;
            case "positive":
                double number = ((Number) value).doubleValue();
                if (!Double.isFinite(number) || number <= 0) {
                    throw new IllegalArgumentException(flag + " must be a finite number > 0 (float32), got " + value);
                }
                break;
            default: // switch, path, integer: Java's types hold them
                break;
        }
    }

    private JsonObject setting(String name) {
        JsonObject setting = settings.get(name);
        if (setting == null) {
            throw new IllegalArgumentException("no setting '" + name + "' in " + RESOURCE);
        }
        return setting;
    }
}
