package dev.residual.runtime.gemm;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.net.URL;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Finds and opens OpenBLAS, in this order:
 * <ol>
 *   <li>an explicit path: the system property {@value #PATH_PROPERTY} or else the environment variable
 *       {@value #PATH_ENV}. When one is set, it is the only candidate: a wrong path is an error, never a silent
 *       fallback to something else;</li>
 *   <li>the system's {@code libopenblas.so.0} (the dynamic loader's search: {@code LD_LIBRARY_PATH}, ld.so.cache,
 *       e.g. Debian's {@code libopenblas0});</li>
 *   <li>the binary carried by the {@code org.bytedeco:openblas} jar ({@code linux-x86_64}) on the class path,
 *       extracted once into a per-user cache folder keyed by its version ({@value #CACHE_PROPERTY} overrides the
 *       folder; the default is {@code $XDG_CACHE_HOME/residual} or {@code ~/.cache/residual}).</li>
 * </ol>
 * The bundled libgfortran has no RUNPATH, so its libquadmath would not be found on a bare system: the companions are
 * opened first, by path, and the loader then matches them by their SONAME.
 */
public final class OpenBlasLocator {

    public static final String PATH_PROPERTY = "residual.openblas.path";
    public static final String PATH_ENV = "RESIDUAL_OPENBLAS_PATH";
    /** {@link Located#source} of the copy extracted from the {@code org.bytedeco:openblas} jar. */
    public static final String BUNDLED_SOURCE = "bundled org.bytedeco:openblas jar";
    public static final String CACHE_PROPERTY = "residual.cache.dir";
    static final String SYSTEM_NAME = "libopenblas.so.0";
    static final String CARRIER_FOLDER = "org/bytedeco/openblas/linux-x86_64/";
    static final String CARRIER_POM = "META-INF/maven/org.bytedeco/openblas/pom.properties";
    /** Opened in this order from the extracted folder; libgcc_s is extracted too but left to the system. */
    static final List<String> CARRIED_LOAD_ORDER = List.of("libquadmath.so.0", "libgfortran.so.5", SYSTEM_NAME);
    static final List<String> CARRIED_FILES = List.of("libquadmath.so.0", "libgfortran.so.5", "libgcc_s.so.1", SYSTEM_NAME);

    /** An opened library: where it came from and its symbols. */
    public record Located(Path path, String source, SymbolLookup symbols) {}

    private final String explicitPath;
    private final String systemName;
    private final ClassLoader carrierLoader;
    private final Path cacheRoot;

    /** A locator configured from system properties and the environment. */
    public static OpenBlasLocator fromEnvironment() {
        String explicit = System.getProperty(PATH_PROPERTY);
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv(PATH_ENV);
        }
        return new OpenBlasLocator(blankToNull(explicit), SYSTEM_NAME,
                OpenBlasLocator.class.getClassLoader(), defaultCacheRoot());
    }

    /** For tests: every input explicit. {@code explicitPath} may be null, {@code carrierLoader} may be null. */
    public OpenBlasLocator(String explicitPath, String systemName, ClassLoader carrierLoader, Path cacheRoot) {
        this.explicitPath = explicitPath;
        this.systemName = systemName;
        this.carrierLoader = carrierLoader;
        this.cacheRoot = cacheRoot;
    }

    /** Whether the user named a library path, which then must work. */
    public boolean hasExplicitPath() {
        return explicitPath != null;
    }

    /** Opens the first candidate that works, or throws with every attempt and its reason. */
    public Located locate() {
        OpenBlasSpin.apply(); // read by OpenBLAS when it loads, so before any library below is opened
        List<String> attempts = new ArrayList<>();
        if (explicitPath != null) {
            Path path = Path.of(explicitPath);
            String how = "explicit path " + path + " (from -D" + PATH_PROPERTY + " or $" + PATH_ENV + ")";
            try {
                if (!Files.isRegularFile(path)) {
                    throw new IOException("no such file");
                }
                return new Located(path, "explicit path", open(path));
            } catch (IOException | IllegalArgumentException e) {
                attempts.add(how + ": " + e.getMessage());
                throw new NativeLibraryException("OpenBLAS could not be loaded from the explicit path:", attempts,
                        "Fix the path, or unset -D" + PATH_PROPERTY + " and $" + PATH_ENV
                                + " to let Residual search the system and the bundled copy.");
            }
        }
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(systemName, Arena.global());
            return new Located(Path.of(systemName), "system library", lookup);
        } catch (IllegalArgumentException e) {
            attempts.add("system library " + systemName + ": not found by the dynamic loader"
                    + " (LD_LIBRARY_PATH, /etc/ld.so.cache)");
        }
        try {
            Path folder = extractCarried(attempts);
            if (folder != null) {
                SymbolLookup lookup = null;
                for (String name : CARRIED_LOAD_ORDER) {
                    lookup = open(folder.resolve(name));
                }
                return new Located(folder.resolve(SYSTEM_NAME), BUNDLED_SOURCE, lookup);
            }
        } catch (IOException | IllegalArgumentException e) {
            attempts.add("bundled copy: " + e.getMessage());
        }
        throw new NativeLibraryException("OpenBLAS could not be loaded; tried:", attempts,
                "Install it (apt-get install libopenblas0), keep org.bytedeco:openblas:linux-x86_64 on the class path,"
                        + " or point -D" + PATH_PROPERTY + " at a libopenblas.so.");
    }

    /** Opens a library by path; on failure, names what the system loader could not find. */
    static SymbolLookup open(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + ": no such file");
        }
        try {
            return SymbolLookup.libraryLookup(path, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + loaderReason(path), e);
        }
    }

    /**
     * Panama's "Cannot open library" does not say why. The JNI loader reports dlerror's text, which names a missing
     * dependency ("libquadmath.so.0: cannot open shared object file"), so ask it for the reason.
     */
    static String loaderReason(Path path) {
        try {
            System.load(path.toAbsolutePath().toString());
            return "the dynamic loader refused it";
        } catch (UnsatisfiedLinkError e) {
            return "the dynamic loader says: " + e.getMessage();
        }
    }

    /** Extracts the carried binaries once; returns null (with an attempt noted) when the jar is absent. */
    Path extractCarried(List<String> attempts) throws IOException {
        URL library = carrierLoader == null ? null : carrierLoader.getResource(CARRIER_FOLDER + SYSTEM_NAME);
        if (library == null) {
            attempts.add("bundled copy: org.bytedeco:openblas:linux-x86_64 is not on the class path"
                    + " (no resource " + CARRIER_FOLDER + SYSTEM_NAME + ")");
            return null;
        }
        Path root = writableCacheRoot();
        Path target = root.resolve("openblas-" + carrierVersion() + "-linux-x86_64");
        if (isComplete(target)) {
            return target;
        }
        // Extract into a private folder, then rename it into place: a reader never sees a half-written set, and when
        // two JVMs race the loser simply uses the winner's copy.
        Path staging = Files.createTempDirectory(root, "openblas-extracting-");
        try {
            for (String name : CARRIED_FILES) {
                try (InputStream in = carrierLoader.getResourceAsStream(CARRIER_FOLDER + name)) {
                    if (in == null) {
                        throw new IOException("the jar has no " + CARRIER_FOLDER + name);
                    }
                    Files.copy(in, staging.resolve(name));
                }
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException e) {
                // Another JVM won the race (rename(2) onto a non-empty folder fails with ENOTEMPTY); use its copy.
                if (!isComplete(target)) {
                    throw new IOException("could not place the extracted library at " + target + ": " + e, e);
                }
            }
        } finally {
            deleteRecursively(staging);
        }
        if (!isComplete(target)) {
            throw new IOException("extraction into " + target + " left an incomplete folder; delete it and retry");
        }
        return target;
    }

    /** The configured cache folder, or a per-user folder under java.io.tmpdir when that one cannot be written. */
    private Path writableCacheRoot() throws IOException {
        try {
            Files.createDirectories(cacheRoot);
            if (Files.isWritable(cacheRoot)) {
                return cacheRoot;
            }
        } catch (IOException e) {
            // fall through to the temporary folder
        }
        Path fallback = Path.of(System.getProperty("java.io.tmpdir"), "residual-" + System.getProperty("user.name"));
        Files.createDirectories(fallback);
        return fallback;
    }

    private static boolean isComplete(Path folder) {
        return CARRIED_FILES.stream().allMatch(name -> Files.isRegularFile(folder.resolve(name)));
    }

    private String carrierVersion() throws IOException {
        try (InputStream in = carrierLoader.getResourceAsStream(CARRIER_POM)) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown").replaceAll("[^A-Za-z0-9._-]", "_");
        }
    }

    static Path defaultCacheRoot() {
        String configured = System.getProperty(CACHE_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("residual");
    }

    private static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
