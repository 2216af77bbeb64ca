package dev.residual.samples.differential;

import static com.google.testing.compile.Compiler.javac;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import dev.residual.processor.ResidualProcessor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import javax.tools.JavaFileObject;

/**
 * Compiles a model source with the Residual processor in memory, as a user's build would, and loads the classes and
 * the graph resource it wrote — the generated class finds its {@code .graph} beside it, as from a jar.
 */
final class MemoryClassLoader extends ClassLoader {

    private static final String OUTPUT = "CLASS_OUTPUT/";

    private final Map<String, byte[]> files;

    private MemoryClassLoader(Map<String, byte[]> files) {
        super(MemoryClassLoader.class.getClassLoader());
        this.files = files;
    }

    /** Compiles {@code source} (a file named {@code qualifiedName}) and returns a loader for what javac wrote. */
    static MemoryClassLoader compile(String qualifiedName, String source) {
        Compilation compilation = javac().withProcessors(new ResidualProcessor())
                .compile(JavaFileObjects.forSourceString(qualifiedName, source));
        if (compilation.status() != Compilation.Status.SUCCESS) {
            throw new AssertionError("the model did not compile: " + compilation.diagnostics() + "\n" + source);
        }
        Map<String, byte[]> files = new HashMap<>();
        for (JavaFileObject file : compilation.generatedFiles()) {
            String path = file.toUri().getPath();
            int at = path.indexOf(OUTPUT);
            if (at >= 0) {
                try (InputStream in = file.openInputStream()) {
                    files.put(path.substring(at + OUTPUT.length()), in.readAllBytes());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return new MemoryClassLoader(files);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] bytes = files.get(name.replace('.', '/') + ".class");
        if (bytes == null) {
            throw new ClassNotFoundException(name + "; compiled: " + files.keySet());
        }
        return defineClass(name, bytes, 0, bytes.length);
    }

    @Override
    public InputStream getResourceAsStream(String name) {
        byte[] bytes = files.get(name);
        return bytes != null ? new ByteArrayInputStream(bytes) : super.getResourceAsStream(name);
    }
}
