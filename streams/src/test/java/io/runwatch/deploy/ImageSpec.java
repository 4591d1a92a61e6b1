package io.runwatch.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The container image as the {@code image} profile of {@code streams/pom.xml} defines it (Jib configuration),
 * with Maven properties of the profile and the parent resolved. Read by the tests, so that the manifests, the
 * compose file and the jar test use the image's real entrypoint and arguments, not a copy of them.
 */
public record ImageSpec(String baseImage, String targetImage, List<String> entrypoint, List<String> args,
                        List<Integer> ports, List<String> volumes, String user, String workingDirectory,
                        Map<String, String> labels, List<String> extraDirectories, String jibVersion,
                        Element jibPlugin) {

    private static final Pattern PROPERTY = Pattern.compile("\\$\\{([^}]+)}");

    public static ImageSpec load(Path repoRoot) throws Exception {
        Document parent = parse(repoRoot.resolve("pom.xml"));
        Document streams = parse(repoRoot.resolve("streams/pom.xml"));
        Map<String, String> props = new LinkedHashMap<>(properties(child(parent.getDocumentElement(),
                "properties")));
        props.put("project.version", text(child(parent.getDocumentElement(), "version")));
        props.put("project.parent.description", text(child(parent.getDocumentElement(), "description")));
        props.put("project.build.directory", repoRoot.resolve("streams/target").toString());
        props.put("project.basedir", repoRoot.resolve("streams").toString());
        Element profile = null;
        for (Element p : children(child(streams.getDocumentElement(), "profiles"), "profile")) {
            if ("image".equals(text(child(p, "id")))) {
                profile = p;
            }
        }
        if (profile == null) {
            throw new IllegalStateException("streams/pom.xml has no <profile><id>image</id>");
        }
        props.putAll(properties(child(profile, "properties")));
        Element jib = null;
        for (Element plugin : children(child(child(profile, "build"), "plugins"), "plugin")) {
            if ("jib-maven-plugin".equals(text(child(plugin, "artifactId")))) {
                jib = plugin;
            }
        }
        if (jib == null) {
            throw new IllegalStateException("the image profile has no jib-maven-plugin");
        }
        String jibVersion = null;
        Element management = child(child(parent.getDocumentElement(), "build"), "pluginManagement");
        for (Element plugin : children(child(management, "plugins"), "plugin")) {
            if ("jib-maven-plugin".equals(text(child(plugin, "artifactId")))) {
                jibVersion = resolve(text(child(plugin, "version")), props);
            }
        }
        Element config = child(jib, "configuration");
        Element container = child(config, "container");
        Map<String, String> labels = new LinkedHashMap<>();
        for (Element label : children(child(container, "labels"), null)) {
            labels.put(label.getTagName(), resolve(text(label), props));
        }
        List<Integer> ports = new ArrayList<>();
        for (String port : texts(child(container, "ports"), props)) {
            ports.add(Integer.parseInt(port));
        }
        List<String> extra = new ArrayList<>();
        for (Element path : children(child(child(config, "extraDirectories"), "paths"), "path")) {
            extra.add(resolve(text(child(path, "from")), props) + " -> " + text(child(path, "into")));
        }
        return new ImageSpec(resolve(text(child(child(config, "from"), "image")), props),
                resolve(text(child(child(config, "to"), "image")), props),
                texts(child(container, "entrypoint"), props), texts(child(container, "args"), props), ports,
                texts(child(container, "volumes"), props), text(child(container, "user")),
                text(child(container, "workingDirectory")), labels, extra, jibVersion, jib);
    }

    /** A property of the parent pom (the one place versions live). */
    public static String parentProperty(Path repoRoot, String name) throws Exception {
        Element properties = child(parse(repoRoot.resolve("pom.xml")).getDocumentElement(), "properties");
        return text(child(properties, name));
    }

    /** The JVM options of the entrypoint: between {@code java} and {@code -jar}. */
    public List<String> jvmOptions() {
        int jar = entrypoint.indexOf("-jar");
        return entrypoint.subList(1, jar);
    }

    /** The jar the entrypoint runs, as a path inside the image. */
    public String jarInImage() {
        return entrypoint.get(entrypoint.indexOf("-jar") + 1);
    }

    /** The value following {@code flag} in the arguments, or null. */
    public String argValue(String flag) {
        int i = args.indexOf(flag);
        return i < 0 || i + 1 >= args.size() ? null : args.get(i + 1);
    }

    static String resolve(String value, Map<String, String> props) {
        if (value == null) {
            return null;
        }
        Matcher m = PROPERTY.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = props.get(m.group(1));
            if (replacement == null) {
                throw new IllegalStateException("unresolved Maven property ${" + m.group(1) + "} in " + value);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(resolve(replacement, props)));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static Document parse(Path file) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(file.toFile());
    }

    private static Map<String, String> properties(Element element) {
        Map<String, String> props = new LinkedHashMap<>();
        for (Element property : children(element, null)) {
            props.put(property.getTagName(), text(property));
        }
        return props;
    }

    private static List<String> texts(Element parent, Map<String, String> props) {
        List<String> values = new ArrayList<>();
        for (Element e : children(parent, null)) {
            values.add(resolve(text(e), props));
        }
        return values;
    }

    static Element child(Element parent, String name) {
        if (parent == null) {
            return null;
        }
        for (Element e : children(parent, name)) {
            return e;
        }
        return null;
    }

    static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && (name == null || e.getTagName().equals(name))) {
                out.add(e);
            }
        }
        return out;
    }

    static String text(Element e) {
        return e == null ? null : e.getTextContent().trim();
    }
}
